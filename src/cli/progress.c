/* Progress rows fitted to the terminal (progress.h). */
#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define BAR_MAX 30
#define BAR_MIN 5

unsigned tl_term_cols(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

size_t tl_progress_row(char *out, size_t cap, unsigned cols, const char *peer, double frac,
                       const char *rate, const char *eta, const char *state, const char *quality,
                       const char *note)
{
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    char tail[256];
    int tl = snprintf(tail, sizeof(tail), " %5.1f%% %10s/s eta %-6s %-12s %-9s %s", frac * 100,
                      rate, eta, state, quality, note);
    if (tl < 0)
        tl = 0;
    if ((size_t)tl >= sizeof(tail))
        tl = (int)sizeof(tail) - 1;
    /* "PEER [BAR]" + tail in cols - 1: the bar takes what is left. PEER is
     * at least 12 columns (the caller may give more: mark, id and name). */
    size_t pl = strlen(peer) > 12 ? strlen(peer) : 12;
    long room = (long)cols - 1 - (long)pl - 3 - tl;
    int bar_w = room > BAR_MAX ? BAR_MAX : room < BAR_MIN ? 0 : (int)room;
    char bar[BAR_MAX + 4] = ""; /* " [" BAR "]" NUL */
    if (bar_w) {
        int fill = (int)(frac * bar_w);
        bar[0] = ' ';
        bar[1] = '[';
        for (int k = 0; k < bar_w; k++)
            bar[2 + k] = k < fill ? '#' : '.';
        bar[2 + bar_w] = ']';
        bar[3 + bar_w] = '\0';
    }
    int n = snprintf(out, cap, "%-12s%s%s", peer, bar, tail);
    size_t len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
    size_t max = cols > 1 ? cols - 1 : 1;
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80)
            len--; /* do not split a UTF-8 sequence */
        out[len] = '\0';
    }
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
    return len;
}
