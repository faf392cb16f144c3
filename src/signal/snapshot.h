/* Internal: the signaling state as a JSON snapshot (scale-out, stored in
 * Redis; docs/SIGNALING.md §6). Sans-I/O: durations are relative to the
 * now_ms the caller passes. Local-only parts (connections, token buckets,
 * grace timers) are not in it. */
#ifndef TL_SIGNAL_SNAPSHOT_H
#define TL_SIGNAL_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "signal/groups.h"

/* The whole state as JSON text (cJSON_free it); NULL on OOM. */
char *tl_sig_snapshot_dump(tl_sig_state *st, uint64_t now_ms);

/* Replaces st with the snapshot's contents. Returns 0, or -1 with *why set
 * (malformed JSON, a bad field, a duplicate, a member that is no peer) and st
 * left empty. Peer connection pointers are NULL afterwards. */
int tl_sig_snapshot_load(tl_sig_state *st, const char *text, size_t len, uint64_t now_ms,
                         const char **why);

#endif
