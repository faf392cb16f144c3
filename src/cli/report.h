/* Output of send/receive: one JSON object per line (--json) or a live
 * per-peer progress view on a terminal (docs/CLI.md). */
#ifndef TL_CLI_REPORT_H
#define TL_CLI_REPORT_H

#include <stdint.h>

#include "tallow/group.h"
#include "tallow/loop.h"

typedef struct tl_report tl_report;

/* json: JSON lines on stdout; otherwise a terminal view (redrawn only when
 * stdout is a terminal, plain lines otherwise). */
tl_report *tl_report_new(tl_loop *loop, int json, int is_sender);
void tl_report_free(tl_report *rp);

/* Callbacks that print; pass rp as user data. on_finished stores the exit
 * status and stops the loop. */
extern const tl_group_callbacks tl_report_callbacks;

/* Sender: the interface whose address the join code carries ("" or NULL:
 * none to mention); shown with the code. */
void tl_report_set_interface(tl_report *rp, const char *iface);

/* One peer's statistics (tl_group_*_stats): a JSON "stats" event, and the
 * RTT and path on the peer's terminal row (docs/CLI.md). */
void tl_report_peer_stats(tl_report *rp, const tl_group_peer_stats *ps, const tl_group_stats *t);

/* Terminal view: marks the row of peer (NULL: none) and shows footer (a key
 * help or prompt line; NULL: none) under the rows; redraws. */
void tl_report_mark(tl_report *rp, const char *peer, const char *footer);
void tl_report_redraw(tl_report *rp);
/* 1 when the view is redrawn in place (stdout is a terminal, no --json). */
int tl_report_interactive(const tl_report *rp);

/* Receiver: reports an offer (JSON "offer" event; a plain line when stdout
 * is not a terminal) and, when question is set, writes the terminal
 * question "Receive 3 files (1.2 GB) from alice? SAS 123 456 [y/N] " there. */
void tl_report_offer(tl_report *rp, const tl_group_offer *o, char *question, size_t cap);
/* Shows a question in place of the rows and holds redraws until called
 * again with NULL (answered). */
void tl_report_prompt(tl_report *rp, const char *question);

/* Receiver: the output folder, for the final list of saved files. */
void tl_report_set_out_dir(tl_report *rp, const char *dir);

/* Exit status recorded by on_finished (3 if the job never finished). */
int tl_report_status(const tl_report *rp);

/* Ends the job from outside (timeout, signal) with a status and message. */
void tl_report_finish(tl_report *rp, int status, const char *msg);

/* The CLI's stderr logger: "PREFIX LEVEL [subject] message" (sanitised) for
 * messages at level or above; prefix is a static string. */
tl_logger tl_cli_logger(const char *prefix, tl_log_level level);

/* The logger of send/receive: prefix "tallow", level from TALLOW_LOG (debug,
 * info, warn, error; default warn). */
tl_logger tl_report_logger(void);

/* How many error lines that logger has printed: a command that fails prints
 * its own line only when the library did not already say why (one line per
 * failure). */
unsigned tl_report_errors_logged(void);

/* The first line of a secret file (e.g. a TURN REST secret), malloc'd; warns
 * when the file is readable by others. NULL (message printed) when it cannot
 * be read or the line is empty. Release with tl_secret_free (wipes). */
char *tl_read_secret_file(const char *path);
void tl_secret_free(char *s);

/* Splits "a,b,c" (g_strsplit; empty items dropped) into a NULL-terminated
 * array (*n set). Release with tl_free_list (g_strfreev). */
char **tl_split_list(const char *s, size_t *n);
void tl_free_list(char **list, size_t n);

#endif
