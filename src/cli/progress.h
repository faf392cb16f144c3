/* tallow — one progress row fitted to the terminal (report.c draws them).
 * A row wider than the terminal would wrap, and the redraw, which moves the
 * cursor up one line per row, would then leave stale lines behind: every row
 * is made to fit in cols - 1 columns. */
#ifndef TL_CLI_PROGRESS_H
#define TL_CLI_PROGRESS_H

#include <stddef.h>

/* Columns of the terminal on fd (TIOCGWINSZ), or 80 when it has none. */
unsigned tl_term_cols(int fd);

/* Writes one row into out (cap bytes, at least 2): the peer (12 columns),
 * a bar of up to 30 cells (narrower as the terminal is, left out below 5),
 * the percentage, rate, eta, state, quality and note; then cuts the row to
 * at most cols - 1 bytes (never inside a UTF-8 sequence: a byte is at least
 * as wide as the column it takes). Returns the row's length. */
size_t tl_progress_row(char *out, size_t cap, unsigned cols, const char *peer, double frac,
                       const char *rate, const char *eta, const char *state, const char *quality,
                       const char *note);

#endif
