/* Live parts of send/receive beside the progress callbacks: a statistics
 * snapshot every second (JSON "stats" events, RTT and path on the terminal
 * rows) and, for `tallow send` on a terminal, keys that control the running
 * send (docs/CLI.md "Keys"). */
#ifndef TL_CLI_LIVE_H
#define TL_CLI_LIVE_H

#include "cli/report.h"
#include "tallow/group.h"

typedef struct tl_live tl_live;

/* Exactly one of s and r is set. Keys are read only for a sender whose
 * report is interactive and whose stdin is a terminal (the terminal is put
 * in non-canonical mode, without echo, and restored by tl_live_free). */
tl_live *tl_live_new(tl_loop *loop, tl_report *rp, tl_group_sender *s, tl_group_receiver *r);
void tl_live_free(tl_live *lv);

/* Handles bytes typed on the terminal (called by the stdin watch). */
void tl_live_keys(tl_live *lv, const char *bytes, size_t len);

#endif
