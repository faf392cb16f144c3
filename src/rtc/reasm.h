/* tallow — bounded reassembly of SCTP messages (sans-I/O).
 *
 * usrsctp hands a message over in pieces (partial delivery) until a piece
 * carries MSG_EOR. The peer decides how long a message is; we decide how
 * much of it we hold: never more than max + 1 bytes (max = our advertised
 * a=max-message-size). One byte over max is enough to know the message is
 * too long, and the association is then aborted (docs/SECURITY.md), so a
 * message without end (harm 2 of issue #18) costs at most max + 1 bytes. */
#ifndef TL_RTC_REASM_H
#define TL_RTC_REASM_H

#include <stddef.h>
#include <stdint.h>

typedef struct tl_reasm {
    uint8_t *buf;
    size_t len, cap, max;
} tl_reasm;

typedef enum {
    TL_REASM_MORE = 0,     /* the message goes on: read again */
    TL_REASM_MESSAGE = 1,  /* buf[0..len) is one whole message: use it, then reset */
    TL_REASM_OVERSIZE = 2, /* longer than max: drop it and abort the association */
    TL_REASM_NOMEM = 3,    /* no memory for the next piece */
} tl_reasm_result;

/* max >= 1. Holds nothing until the first piece. */
void tl_reasm_init(tl_reasm *r, size_t max);
void tl_reasm_free(tl_reasm *r);

/* Where the next piece goes and how much may be read into it: at most want
 * bytes, and never past max + 1 in total. NULL (and *room 0) on no memory. */
uint8_t *tl_reasm_space(tl_reasm *r, size_t want, size_t *room);

/* n bytes were read into the space; eor = the piece ended the message. */
tl_reasm_result tl_reasm_commit(tl_reasm *r, size_t n, int eor);

/* Forgets the current message (after MESSAGE or OVERSIZE, or when the
 * stack aborts a partial delivery). Keeps the buffer. */
void tl_reasm_reset(tl_reasm *r);

#endif
