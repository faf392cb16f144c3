/* tallow — test-only misbehaviour for the hostile-peer tests
 * (tests/e2e/hostile_peer.sh, docs/SECURITY.md).
 *
 * Only the test binary `tallow-hostile` is compiled with TALLOW_HOSTILE
 * defined: there, the TALLOW_HOSTILE environment variable (a comma list of
 * modes) switches the misbehaviour on. In every other build tl_hostile() is
 * the constant 0 and the compiler removes the code behind it, so the shipped
 * `tallow` cannot be made to misbehave. Modes:
 *   sigerr      embedded signaling server: answers every join with an error
 *               whose text carries terminal control sequences
 *   errtext     transfer session: the first error sent to the peer carries
 *               terminal control sequences (and the session fails at once
 *               after the handshake)
 *   noeor       SCTP: one endless data-channel message (no end of record)
 *   noread      SCTP: stops reading once the transfer is keyed
 *   pingflood   transfer session: PINGs as fast as the channel takes them
 *   stall       sender: keeps back the last chunk, keeps answering PINGs
 *   fakeresult  receiver: claims every file is already complete
 *   badresult   receiver: reports success for files it did not keep
 *   poser       sender: an insider posing as the group's sender. Instead of
 *               creating a group it joins the one whose code is in
 *               TALLOW_POSER_CODE (it knows the whole code, as every
 *               recipient does) and offers its own files, with its own
 *               identity, to every other member (tests/e2e/poser.sh)
 *   anyoffer    signaling server: relays offers and ICE restarts from any
 *               member and marks no member as the creator (a server that
 *               does not enforce who may send) */
#ifndef TL_COMMON_HOSTILE_H
#define TL_COMMON_HOSTILE_H

#ifdef TALLOW_HOSTILE
int tl_hostile(const char *mode);
#define TL_HOSTILE_TEXT                                                                            \
    "\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\xc2\x9b"                                                   \
    "31mcsi\x7f"                                                                                   \
    "end"
#else
static inline int tl_hostile(const char *mode)
{
    (void)mode;
    return 0;
}
#define TL_HOSTILE_TEXT ""
#endif

#endif
