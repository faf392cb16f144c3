#!/usr/bin/env bash
# A hostile peer (docs/SECURITY.md): the project's own sender or receiver,
# built as `tallow-hostile` (tests/e2e/hostile.cmake) and told by
# TALLOW_HOSTILE how to misbehave, against the unmodified `tallow`. For each
# attack the victim must end with the documented error and exit status,
# within a deadline, and (for the attacks on memory) with its peak RSS no
# more than HP_RSS_BUDGET_KB above the peak of a clean transfer in the same
# role. Text attacks run the victim on a pseudo-terminal (`script`) and check
# the bytes it wrote there.
#
# usage: hostile_peer.sh TALLOW VARIANT
#   sigerr          the sender's embedded signaling server answers the join
#                   with an error full of terminal control sequences
#   errtext-send    the sender's ERROR frame carries them (victim: receiver)
#   errtext-recv    the receiver's ERROR frame carries them (victim: sender)
#   noeor-send      the sender sends one data-channel message without end
#   noeor-recv      the same from the receiver
#   pingflood-send  the sender floods PINGs and stops reading
#   pingflood-recv  the same from the receiver
#   stall           the sender keeps back the last chunk, keeps answering PINGs
#   silent          the sender freezes (SIGSTOP) in the middle of the transfer
#   fakeresult      the receiver claims every file without receiving it
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
variant=${2:?variant}
export E2E_VARIANT=$variant
e2e_init "$1"
e2e_need script
HOSTILE=$(dirname "$E2E_TALLOW")/tallow-hostile
[[ -x $HOSTILE ]] || e2e_skip "no tallow-hostile beside $E2E_TALLOW"

# 10 MiB per peer (the design note's bound); ASan's quarantine and shadow
# memory keep freed memory resident, so a sanitizer build gets more room
# (a peer that really grows the victim's memory goes far past either).
HP_RSS_BUDGET_KB=$((10 * 1024))
if ldd "$E2E_TALLOW" 2>/dev/null | grep -q libasan; then
    HP_RSS_BUDGET_KB=$((96 * 1024))
fi

src=$E2E_TMP/src
e2e_random_file "$src/a.bin" $((8 << 20))

# ---------------------------------------------------------------- helpers

# hp_send NAME BINARY MODES ARGS...: a sender (MODES for TALLOW_HOSTILE, or -).
hp_send()
{
    local name=$1 bin=$2 modes=$3
    shift 3
    if [[ $modes == - ]]; then
        e2e_spawn "$name" - "$bin" send "$@" --json
    else
        e2e_spawn "$name" - env TALLOW_HOSTILE="$modes" "$bin" send "$@" --json
    fi
    e2e_read_code "$name"
}

# hp_receive NAME BINARY MODES OUT ARGS...
hp_receive()
{
    local name=$1 bin=$2 modes=$3 out=$4
    shift 4
    mkdir -p "$out"
    if [[ $modes == - ]]; then
        e2e_spawn "$name" - "$bin" receive "$E2E_CODE" --json --out "$out" "$@"
    else
        e2e_spawn "$name" - env TALLOW_HOSTILE="$modes" "$bin" receive "$E2E_CODE" --json \
            --out "$out" "$@"
    fi
}

# Peak RSS (VmHWM, kB) of a process, sampled while it runs.
declare -A HP_HWM=()
_hp_sample()
{
    local name=$1 v
    v=$(awk '/^VmHWM:/ {print $2}' "/proc/${E2E_PIDS[$name]}/status" 2>/dev/null) || true
    [[ -n $v ]] && HP_HWM[$name]=$v
    return 0
}
_hp_sample_exited()
{
    _hp_sample "$1"
    e2e_exited "$1"
}

# hp_watch NAME SECONDS: samples NAME's peak RSS until it exits (fails the
# test at the deadline); prints the time it took in the log.
hp_watch()
{
    local name=$1 secs=$2 t0
    t0=$(e2e_now_ms)
    e2e_wait_until "$secs" _hp_sample_exited "$name" ||
        e2e_fail "$name still running after ${secs}s"
    e2e_reap "$name"
    HP_SECS=$((($(e2e_now_ms) - t0) / 1000))
    e2e_log "$name exited with status ${E2E_RC[$name]} after ${HP_SECS}s, peak RSS ${HP_HWM[$name]:-?} kB"
}

# hp_reference ROLE: peak RSS of a clean transfer's ROLE (send|receive).
hp_reference()
{
    local role=$1
    hp_send ref-send "$E2E_TALLOW" - "$src/a.bin" --timeout 60
    hp_receive ref-recv "$E2E_TALLOW" - "$E2E_TMP/ref-out" --timeout 60
    hp_watch ref-recv 90
    hp_watch ref-send 30
    e2e_expect_rc ref-recv 0
    e2e_expect_rc ref-send 0
    if [[ $role == send ]]; then HP_REF=${HP_HWM[ref-send]}; else HP_REF=${HP_HWM[ref-recv]}; fi
    e2e_log "reference: clean transfer, $role peak RSS $HP_REF kB"
}

# hp_assert_rss NAME: NAME's peak RSS is within the budget above HP_REF.
hp_assert_rss()
{
    local name=$1 hwm=${HP_HWM[$1]:-0}
    ((hwm > 0)) || e2e_fail "$name: no RSS sample"
    ((hwm <= HP_REF + HP_RSS_BUDGET_KB)) ||
        e2e_fail "$name: peak RSS $hwm kB, more than $HP_RSS_BUDGET_KB kB above the clean $HP_REF kB"
    e2e_log "$name: peak RSS $hwm kB (clean $HP_REF kB, budget +$HP_RSS_BUDGET_KB kB)"
}

# hp_assert_error NAME PATTERN: NAME's result (receive) or its one recipient
# result (send) is ok:false with an error matching PATTERN.
hp_assert_error()
{
    local name=$1 pat=$2 ok err
    ok=$(e2e_result "$name" ok)
    err=$(e2e_result "$name" error)
    [[ $ok == false ]] || e2e_fail "$name: result ok=$ok, expected false"
    [[ $err =~ $pat ]] || e2e_fail "$name: error '$err' does not match /$pat/"
    e2e_log "$name: ok:false, error: $err"
}

# The terminal bytes a victim may write: printable text, CR/LF/TAB, and the
# two sequences of its own progress view (ESC[<n>A, ESC[2K). Anything else
# (ESC of another sequence, BEL, DEL, raw C1, invalid UTF-8 is not checked
# here) came from the attacker.
hp_assert_clean_terminal()
{
    local file=$1 bad
    bad=$(sed -e 's/\x1b\[[0-9]*A//g' -e 's/\x1b\[2K//g' "$file" |
        LC_ALL=C grep -naP '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]' | head -n 3 |
        cat -v) || true
    [[ -z $bad ]] || e2e_fail "control bytes reached the terminal ($file): $bad"
    LC_ALL=C grep -qaF '\x1b]0;PWNED\x07' "$file" ||
        e2e_fail "the hostile text is not shown escaped in $file"
    e2e_log "terminal output of $(basename "$file") is clean; the hostile text is shown escaped"
}

# hp_pty NAME LOG CMD...: CMD on a pseudo-terminal; the bytes it wrote there
# are in LOG (util-linux script; -e: its exit status is CMD's).
hp_pty()
{
    local name=$1 log=$2
    shift 2
    local cmd
    printf -v cmd '%q ' "$@"
    e2e_spawn "$name" - script -q -e -c "$cmd" "$log"
}

# ---------------------------------------------------------------- attacks

case $variant in
sigerr)
    hp_send send "$HOSTILE" sigerr "$src/a.bin" --timeout 60
    out=$E2E_TMP/out
    mkdir -p "$out"
    hp_pty r-tty "$E2E_TMP/r-tty.typescript" "$E2E_TALLOW" receive "$E2E_CODE" --out "$out"
    hp_pty r-json "$E2E_TMP/r-json.typescript" "$E2E_TALLOW" receive "$E2E_CODE" --out "$out" --json
    hp_watch r-tty 30
    hp_watch r-json 30
    e2e_expect_rc r-tty 1
    e2e_expect_rc r-json 1
    hp_assert_clean_terminal "$E2E_TMP/r-tty.typescript"
    hp_assert_clean_terminal "$E2E_TMP/r-json.typescript"
    grep -qa 'cannot join: \\x1b]0;PWNED' "$E2E_TMP/r-tty.typescript" ||
        e2e_fail "r-tty: no 'cannot join:' line with the escaped text"
    ;;
errtext-send)
    hp_send send "$HOSTILE" errtext "$src/a.bin" --timeout 60
    out=$E2E_TMP/out
    mkdir -p "$out"
    hp_pty r-tty "$E2E_TMP/r-tty.typescript" "$E2E_TALLOW" receive "$E2E_CODE" --out "$out"
    hp_watch r-tty 60
    e2e_expect_rc r-tty 1
    hp_assert_clean_terminal "$E2E_TMP/r-tty.typescript"
    grep -qa 'sender reported: \\x1b]0;PWNED' "$E2E_TMP/r-tty.typescript" ||
        e2e_fail "r-tty: the sender's error is not reported"
    ;;
errtext-recv)
    hp_pty s-tty "$E2E_TMP/s-tty.typescript" "$E2E_TALLOW" send "$src/a.bin" --timeout 60
    # script copies the terminal to its stdout at once (the typescript file
    # is written in blocks).
    e2e_wait_until 20 grep -qa 'Join code: ' "$E2E_LOG/s-tty.jsonl" ||
        e2e_fail "the sender printed no join code"
    E2E_CODE=$(grep -a 'Join code: ' "$E2E_LOG/s-tty.jsonl" | head -n 1 | tr -d '\r' |
        sed 's/.*Join code: //')
    hp_receive r "$HOSTILE" errtext "$E2E_TMP/out" --timeout 60
    hp_watch s-tty 60
    e2e_expect_rc s-tty 1
    hp_assert_clean_terminal "$E2E_TMP/s-tty.typescript"
    grep -qa 'recipient reported: \\x1b]0;PWNED' "$E2E_TMP/s-tty.typescript" ||
        e2e_fail "s-tty: the recipient's error is not reported"
    ;;
noeor-send | pingflood-send | stall)
    hp_reference receive
    case $variant in
    noeor-send) modes=noeor pat='gone|lost|reported' ;;
    pingflood-send) modes=pingflood,noread pat='floods PINGs' ;;
    stall) modes=stall pat='^peer stalled$' ;;
    esac
    hp_send send "$HOSTILE" "$modes" "$src/a.bin" --timeout 120
    args=(--timeout 200)
    [[ $variant == stall ]] && args+=(--stall-timeout 5)
    hp_receive r "$E2E_TALLOW" - "$E2E_TMP/out" "${args[@]}"
    hp_watch r 180
    e2e_expect_rc r 1
    hp_assert_error r "$pat"
    hp_assert_rss r
    if [[ $variant == noeor-send ]]; then
        grep -q 'association aborted' "$E2E_LOG/r.err" ||
            e2e_fail "r: no 'association aborted' in its log"
    fi
    if [[ $variant == stall ]]; then
        ((HP_SECS <= 60)) || e2e_fail "r: took ${HP_SECS}s to report the stall (--stall-timeout 5)"
    fi
    e2e_assert_no_false_complete "$E2E_TMP/out" "$src/a.bin"
    ;;
noeor-recv | pingflood-recv | fakeresult)
    hp_reference send
    case $variant in
    noeor-recv) modes=noeor pat='lost|closed|aborted' ;;
    pingflood-recv) modes=pingflood,noread pat='floods PINGs' ;;
    fakeresult) modes=fakeresult pat='not proven received' ;;
    esac
    hp_send send "$E2E_TALLOW" - "$src/a.bin" --timeout 200
    hp_receive r "$HOSTILE" "$modes" "$E2E_TMP/out" --timeout 120
    hp_watch send 180
    e2e_expect_rc send 1
    hp_assert_error send "$pat"
    hp_assert_rss send
    summary=$(e2e_events send 'select(.event=="summary") | .message')
    [[ $summary != *verified\ every* ]] || e2e_fail "send: summary claims success: $summary"
    if [[ $variant == noeor-recv ]]; then
        grep -q 'association aborted' "$E2E_LOG/send.err" ||
            e2e_fail "send: no 'association aborted' in its log"
    fi
    ;;
silent)
    # A real sender frozen mid-transfer: it neither sends nor answers, and
    # its embedded signaling server is frozen with it. The recipient must
    # give up after the session's idle timeout plus the reconnection window
    # (docs/CLI.md), say the sender is gone, and exit 1.
    e2e_random_file "$src/big.bin" $((64 << 20))
    hp_send send "$E2E_TALLOW" - "$src/big.bin" --peer-limit 2M --timeout 280
    hp_receive r "$E2E_TALLOW" - "$E2E_TMP/out"
    e2e_wait_progress r $((2 << 20)) 60
    kill -STOP "${E2E_PIDS[send]}"
    e2e_log "froze send (pid ${E2E_PIDS[send]}) with SIGSTOP"
    hp_watch r 230
    kill -CONT "${E2E_PIDS[send]}" 2>/dev/null || true
    e2e_expect_rc r 1
    hp_assert_error r 'sender is gone'
    [[ -n $(e2e_events r 'select(.event=="peer" and .state=="gone") | .state') ]] ||
        e2e_fail "r: no peer event with state gone"
    # idle timeout (60 s) or ICE consent loss plus the link's reconnection
    # window (45 s), then the sender-gone window (45 s), plus slack for load
    ((HP_SECS <= 180)) || e2e_fail "r: took ${HP_SECS}s to give the sender up"
    ;;
*)
    e2e_fail "unknown variant $variant"
    ;;
esac
e2e_pass
