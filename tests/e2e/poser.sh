#!/usr/bin/env bash
# An insider poses as the sender (docs/CRYPTO.md §3 "Sender identity",
# docs/SIGNALING.md §3 "Who may offer"). S runs `tallow send real.bin`; M, a
# recipient who got the same code, runs the project's own sender built as
# `tallow-hostile` with TALLOW_HOSTILE=poser: it joins the group with the code
# instead of creating one and offers its own file, also named real.bin and
# with an identity of its own, to every member. V runs `tallow receive`.
#
# Before sender authentication, V took M's offer whenever it came, keyed with
# M (the PAKE and key confirmation pass: M knows the code's secret), dropped
# S's partial download and saved M's real.bin as verified: exit 0, nothing
# told anyone. Each variant replays that with S frozen (SIGSTOP) while V
# joins, so M's offer comes first and alone:
#   honest    the signaling server refuses M's offer (not-creator); V never
#             sees it and verifies S's real.bin once S runs again
#   nocheck   a server that relays any member's offer and marks no creator
#             (tallow-hostile signal, TALLOW_HOSTILE=anyoffer); V was given
#             S's group fingerprint (--sender-fingerprint): its handshake
#             with M fails the identity check ("the peer is not the sender
#             this code belongs to"), nothing of M's is saved, and V then
#             verifies S's real.bin
#   link      the same with the long code (its 160-bit commitment), as a
#             link carries it, instead of --sender-fingerprint
#   wrongfp   no poser: V is given six words that are not S's group
#             fingerprint; it refuses S itself, saves nothing, and S reports
#             V's refusal as V's result
#   glance    the same server, a short code and no fingerprint: nothing
#             automatic can tell M from S, so V keys with M; the fingerprint
#             V shows differs from the one S shows, which is the human check
#             for this case (and why the fingerprint is shown)
# usage: poser.sh TALLOW VARIANT
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
variant=${2:?variant}
export E2E_VARIANT=$variant
e2e_init "$1"
HOSTILE=$(dirname "$E2E_TALLOW")/tallow-hostile
[[ -x $HOSTILE ]] || e2e_skip "no tallow-hostile beside $E2E_TALLOW"

src=$E2E_TMP/src
fake=$E2E_TMP/fake
out=$E2E_TMP/out
mkdir -p "$src" "$fake" "$out"
e2e_random_file "$src/real.bin" $((24 << 20))
e2e_random_file "$fake/real.bin" $((1 << 20))

# The signaling server: honest, or one that lets any member offer.
_sig_port() { grep -o 'listening on ws://127.0.0.1:[0-9]*' "$E2E_LOG/sig.err" 2>/dev/null | grep -o '[0-9]*$'; }
if [[ $variant == honest || $variant == wrongfp ]]; then
    e2e_spawn sig - "$E2E_TALLOW" signal --listen 127.0.0.1:0 -v
else
    e2e_spawn sig - env TALLOW_HOSTILE=anyoffer "$HOSTILE" signal --listen 127.0.0.1:0 -v
fi
_sig_up() { [[ -n $(_sig_port) ]]; }
e2e_wait_until 10 _sig_up || e2e_fail "the signaling server did not start"
url=ws://127.0.0.1:$(_sig_port)

long=()
[[ $variant == link ]] && long=(--long-code)
e2e_start_send S - "$src/real.bin" --signal "$url" --expect 1 --timeout 120 "${long[@]}"
code=$E2E_CODE
fp=$(e2e_events S 'select(.event=="sender") | .fingerprint' | head -n 1)
[[ $fp =~ ^[a-z]+( [a-z]+){5}$ ]] || e2e_fail "S showed no group fingerprint (got '$fp')"
e2e_log "S fingerprint: $fp"

if [[ $variant == wrongfp ]]; then
    # Six real code words that are not S's fingerprint (its first word moved
    # to the end).
    read -r w1 rest <<<"$fp"
    wrong="$rest $w1"
    [[ $wrong != "$fp" ]] || wrong="$rest $rest"
    e2e_start_receive V - "$code" "$out" --signal "$url" --timeout 120 --sender-fingerprint "$wrong"
    _v_refused() { grep -q 'the peer is not the sender this code belongs to' "$E2E_LOG/V.err"; }
    e2e_wait_until 30 _v_refused || e2e_fail "V did not refuse a sender with another fingerprint"
    _s_result() { [[ -n $(e2e_send_results S) ]]; }
    e2e_wait_until 30 _s_result || e2e_fail "S reported no result for V"
    e2e_send_results S | grep -q 'not the sender' ||
        e2e_fail "S's result for V does not say why: $(e2e_send_results S)"
    [[ -z $(find "$out" -type f) ]] || e2e_fail "V wrote files: $(find "$out" -type f)"
    e2e_pass
fi

# M joins with the code and treats the members as its recipients.
e2e_spawn M - env TALLOW_HOSTILE=poser TALLOW_POSER_CODE="$code" "$HOSTILE" send \
    "$fake/real.bin" --signal "$url" --json --timeout 120
e2e_wait_peer_state M joined 1 20

# S stops answering; V joins. Only M reacts to V's arrival.
kill -STOP "${E2E_PIDS[S]}"
extra=()
[[ $variant == nocheck ]] && extra=(--sender-fingerprint "$fp")
e2e_start_receive V - "$code" "$out" --signal "$url" --timeout 120 "${extra[@]}"
_m_saw_v() { (($(e2e_events M 'select(.event=="peer" and .state=="joined") | .peer' | sort -u | wc -l) >= 2)); }
e2e_wait_until 20 _m_saw_v || e2e_fail "M never saw V join"

case $variant in
honest)
    # M's offer to V is refused by the server, and logged there.
    _refused() { grep -q 'refused an offer from' "$E2E_LOG/sig.err"; }
    e2e_wait_until 20 _refused || e2e_fail "the server did not refuse M's offer"
    ;;
nocheck | link)
    # V keys with M far enough to see its identity, and refuses it.
    _v_refused() { grep -q 'the peer is not the sender this code belongs to' "$E2E_LOG/V.err"; }
    e2e_wait_until 30 _v_refused || e2e_fail "V did not refuse M's identity"
    [[ ! -e $out/real.bin ]] || e2e_fail "V saved something from M"
    ;;
glance)
    # V keys with M: it shows M's fingerprint, not S's.
    _v_sender() { [[ -n $(e2e_events V 'select(.event=="sender") | .fingerprint') ]]; }
    e2e_wait_until 30 _v_sender || e2e_fail "V showed no sender fingerprint"
    vfp=$(e2e_events V 'select(.event=="sender") | .fingerprint' | head -n 1)
    [[ $vfp != "$fp" ]] || e2e_fail "V shows S's fingerprint while keyed to M"
    e2e_log "V keyed to M shows '$vfp', S shows '$fp': the glance tells them apart"
    kill -CONT "${E2E_PIDS[S]}"
    e2e_pass
    ;;
esac

# S runs again and offers V: the real transfer completes and verifies.
kill -CONT "${E2E_PIDS[S]}"
e2e_wait_exit V 90
e2e_assert_receive_ok V "$out"
cmp -s "$src/real.bin" "$out/real.bin" || e2e_fail "V's real.bin is not S's"
[[ $(e2e_result V sender) == "$fp" ]] ||
    e2e_fail "V's result names sender '$(e2e_result V sender)', S shows '$fp'"
vfps=$(e2e_events V 'select(.event=="sender") | .fingerprint' | sort -u)
[[ $vfps == "$fp" ]] || e2e_fail "V showed another sender fingerprint: $vfps"
e2e_wait_exit S 60
e2e_expect_rc S 0
e2e_pass
