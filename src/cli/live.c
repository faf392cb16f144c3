#define _GNU_SOURCE
/* Statistics timer and terminal keys for send/receive (live.h). */
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/live.h"
#include "common/parse.h"
#include "common/loop_internal.h"

#define STATS_EVERY_MS 1000
#define MAX_PEERS 64

typedef enum { MODE_KEYS = 0, MODE_LIMIT, MODE_PEER_LIMIT, MODE_INVITE } key_mode;

struct tl_live {
    tl_loop *loop;
    tl_report *rp;
    tl_group_sender *s;
    tl_group_receiver *r;
    tl_timer *timer;
    GSource *stdin_src;
    int raw; /* the terminal's settings were changed (saved in tio) */
    struct termios tio;
    char selected[64]; /* peer id of the selected recipient ("" none) */
    key_mode mode;
    char input[64];
    size_t input_len;
    char message[100]; /* outcome of the last key */
    int esc;           /* inside an escape sequence: 1 after ESC, 2 after ESC [ */
};

static const char *KEYS_HELP = "keys: j/k select  d drop  l limit  p per-recipient limit  i invite";

static size_t snapshot(const tl_live *lv, tl_group_stats *t, tl_group_peer_stats *p)
{
    size_t n = lv->s ? tl_group_sender_stats(lv->s, t, p, MAX_PEERS)
                     : tl_group_receiver_stats(lv->r, t, p, MAX_PEERS);
    return n < MAX_PEERS ? n : MAX_PEERS;
}

static int active(const tl_group_peer_stats *p)
{
    return strcmp(p->state, "done") && strcmp(p->state, "failed") && strcmp(p->state, "removed");
}

static void show(tl_live *lv)
{
    if (!lv->stdin_src)
        return;
    char footer[200];
    switch (lv->mode) {
    case MODE_LIMIT:
        snprintf(footer, sizeof(footer), "total limit (e.g. 10M, 0 = none): %s", lv->input);
        break;
    case MODE_PEER_LIMIT:
        snprintf(footer, sizeof(footer), "per-recipient limit (e.g. 2M, 0 = none): %s", lv->input);
        break;
    case MODE_INVITE:
        snprintf(footer, sizeof(footer), "invite device name: %s", lv->input);
        break;
    default:
        snprintf(footer, sizeof(footer), "%s%s%s", KEYS_HELP, lv->message[0] ? "  | " : "",
                 lv->message);
        break;
    }
    tl_report_mark(lv->rp, lv->selected[0] ? lv->selected : NULL, footer);
}

static void stats_tick(void *arg)
{
    tl_live *lv = arg;
    lv->timer = tl_timer_start(lv->loop, STATS_EVERY_MS, stats_tick, lv);
    tl_group_stats t;
    tl_group_peer_stats p[MAX_PEERS];
    size_t n = snapshot(lv, &t, p);
    int still = 0;
    for (size_t i = 0; i < n; i++) {
        if (!active(&p[i]))
            continue;
        tl_report_peer_stats(lv->rp, &p[i], &t);
        still |= !strcmp(p[i].peer, lv->selected);
    }
    if (lv->stdin_src && !still) /* the selected one finished: select another */
        lv->selected[0] = '\0';
    if (lv->stdin_src && !lv->selected[0])
        for (size_t i = n; i-- > 0;) /* the list is newest first: select the oldest */
            if (active(&p[i])) {
                snprintf(lv->selected, sizeof(lv->selected), "%s", p[i].peer);
                break;
            }
    show(lv);
    tl_report_redraw(lv->rp);
}

/* Moves the selection by dir (+1 down, -1 up) through the active recipients
 * in the order they joined (the order of the rows). */
static void move(tl_live *lv, int dir)
{
    tl_group_stats t;
    tl_group_peer_stats p[MAX_PEERS];
    size_t n = snapshot(lv, &t, p);
    const char *ids[MAX_PEERS];
    size_t m = 0, cur = 0;
    for (size_t i = n; i-- > 0;)
        if (active(&p[i])) {
            if (!strcmp(p[i].peer, lv->selected))
                cur = m;
            ids[m++] = p[i].peer;
        }
    if (!m)
        return;
    cur = (size_t)(((long)cur + (long)m + dir) % (long)m);
    snprintf(lv->selected, sizeof(lv->selected), "%s", ids[cur]);
}

static void human_rate(uint64_t v, char *buf, size_t cap)
{
    if (!v)
        snprintf(buf, cap, "none");
    else if (v >= 1000000)
        snprintf(buf, cap, "%.1f MB/s", (double)v / 1e6);
    else
        snprintf(buf, cap, "%.1f kB/s", (double)v / 1e3);
}

static void submit(tl_live *lv)
{
    tl_group_stats t;
    tl_group_peer_stats p[MAX_PEERS];
    snapshot(lv, &t, p);
    uint64_t v = 0;
    const char *why = NULL;
    char a[32], b[32];
    switch (lv->mode) {
    case MODE_LIMIT:
    case MODE_PEER_LIMIT:
        if (tl_parse_size(lv->input, 0, TL_RATE_MAX, &v, &why)) {
            snprintf(lv->message, sizeof(lv->message), "%s: %.40s", why, lv->input);
            break;
        }
        if (lv->mode == MODE_LIMIT)
            t.limit = v;
        else
            t.peer_limit = v;
        tl_group_sender_set_limits(lv->s, t.limit, t.peer_limit);
        human_rate(t.limit, a, sizeof(a));
        human_rate(t.peer_limit, b, sizeof(b));
        snprintf(lv->message, sizeof(lv->message), "limit %s total, %s each", a, b);
        break;
    case MODE_INVITE: {
        int rc = tl_group_sender_invite(lv->s, lv->input);
        snprintf(lv->message, sizeof(lv->message), "%s %.40s%s%s",
                 rc == TL_OK ? "invited" : "cannot invite", lv->input, rc == TL_OK ? "" : ": ",
                 rc == TL_OK ? "" : tl_strerror(rc));
        break;
    }
    default:
        break;
    }
    lv->mode = MODE_KEYS;
    lv->input_len = 0;
    lv->input[0] = '\0';
}

static void key(tl_live *lv, unsigned char c)
{
    if (lv->esc == 1) { /* ESC [ A/B: arrow keys */
        lv->esc = c == '[' ? 2 : 0;
        if (lv->esc)
            return;
        if (lv->mode != MODE_KEYS) { /* a lone ESC cancels a prompt */
            lv->mode = MODE_KEYS;
            lv->input_len = 0;
            lv->input[0] = '\0';
        }
    } else if (lv->esc == 2) {
        lv->esc = 0;
        if (lv->mode == MODE_KEYS && (c == 'A' || c == 'B'))
            move(lv, c == 'A' ? -1 : 1);
        return;
    }
    if (c == 0x1b) {
        lv->esc = 1;
        return;
    }
    if (lv->mode != MODE_KEYS) {
        if (c == '\r' || c == '\n') {
            submit(lv);
        } else if ((c == 0x7f || c == 0x08) && lv->input_len) {
            lv->input[--lv->input_len] = '\0';
        } else if (c > 0x20 && c < 0x7f && lv->input_len + 1 < sizeof(lv->input)) {
            lv->input[lv->input_len++] = (char)c;
            lv->input[lv->input_len] = '\0';
        }
        return;
    }
    lv->message[0] = '\0';
    switch (c) {
    case 'j':
        move(lv, 1);
        break;
    case 'k':
        move(lv, -1);
        break;
    case 'd':
        if (lv->selected[0]) {
            int rc = tl_group_sender_drop(lv->s, lv->selected);
            snprintf(lv->message, sizeof(lv->message), "%s",
                     rc == TL_OK ? "removed the selected recipient" : "nothing to remove");
        }
        break;
    case 'l':
        lv->mode = MODE_LIMIT;
        break;
    case 'p':
        lv->mode = MODE_PEER_LIMIT;
        break;
    case 'i':
        lv->mode = MODE_INVITE;
        break;
    default:
        break;
    }
}

void tl_live_keys(tl_live *lv, const char *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++)
        key(lv, (unsigned char)bytes[i]);
    show(lv);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer arg)
{
    tl_live *lv = arg;
    char buf[64];
    ssize_t n = (cond & G_IO_IN) ? read(fd, buf, sizeof(buf)) : 0;
    if (n <= 0) { /* end of input or an error: keys are off, the send goes on */
        lv->stdin_src = NULL;
        tl_report_mark(lv->rp, NULL, NULL);
        return G_SOURCE_REMOVE;
    }
    tl_live_keys(lv, buf, (size_t)n);
    return G_SOURCE_CONTINUE;
}

tl_live *tl_live_new(tl_loop *loop, tl_report *rp, tl_group_sender *s, tl_group_receiver *r)
{
    tl_live *lv = calloc(1, sizeof(*lv));
    if (!lv)
        return NULL;
    lv->loop = loop;
    lv->rp = rp;
    lv->s = s;
    lv->r = r;
    lv->timer = tl_timer_start(loop, STATS_EVERY_MS, stats_tick, lv);
    if (s && tl_report_interactive(rp) && isatty(STDIN_FILENO) &&
        tcgetattr(STDIN_FILENO, &lv->tio) == 0) {
        struct termios raw = lv->tio;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C interrupts */
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
            lv->raw = 1;
            lv->stdin_src = g_unix_fd_source_new(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR);
            g_source_set_callback(lv->stdin_src, (GSourceFunc)(void (*)(void))on_stdin, lv, NULL);
            g_source_attach(lv->stdin_src, tl_loop_gcontext(loop));
            g_source_unref(lv->stdin_src); /* the context holds it until removed */
            show(lv);
        }
    }
    return lv;
}

void tl_live_free(tl_live *lv)
{
    if (!lv)
        return;
    if (lv->timer)
        tl_timer_stop(lv->timer);
    if (lv->stdin_src)
        g_source_destroy(lv->stdin_src);
    if (lv->raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &lv->tio);
    free(lv);
}
