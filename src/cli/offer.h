/* tallow receive: the sender's offer before anything is written — a JSON
 * "offer" event, and on a terminal the question "Receive 3 files (1.2 GB)
 * from alice? SAS 123 456 [y/N]" (docs/CLI.md "Offers"). */
#ifndef TL_CLI_OFFER_H
#define TL_CLI_OFFER_H

#include "cli/report.h"
#include "tallow/group.h"

/* Sets cb->on_offer (cb: a copy of tl_report_callbacks, user data rp).
 * ask: put the question on the terminal and read the answer from stdin;
 * otherwise every offer is accepted at once (after its event). */
void tl_offer_init(tl_group_callbacks *cb, tl_report *rp, tl_loop *loop, int ask);
/* The receiver to answer for (once tl_group_receiver_new returned). */
void tl_offer_bind(tl_group_receiver *r);
/* Stops reading the answer (before the loop is freed). */
void tl_offer_end(void);

#endif
