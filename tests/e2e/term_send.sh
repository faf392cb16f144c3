#!/usr/bin/env bash
# `tallow send` on a real terminal (tmux, tests/e2e/term.sh), with real
# `tallow receive --json` recipients on loopback.
#
# usage: term_send.sh TALLOW screen|drop|limit
#   screen  3 recipients; the screen at the end has exactly one row per
#           recipient, each verified, the RTT and path on it, and the keys
#           line under the rows (docs/CLI.md "Keys").
#   drop    3 recipients; `d` removes the selected one mid-transfer: it exits
#           4 with "removed by the sender" and keeps its partial file, the
#           other two verify, the sender exits 0.
#   limit   1 recipient at --limit 1M; `l 4M` and then `p 500k` change the
#           limits while sending and the measured rate follows each within
#           a few seconds; `l 0`, `p 0` lift them.
#   invite  1 recipient by code at --limit 2M; meanwhile the device "bob"
#           registered (receive --name bob --accept); `i bob` invites it
#           mid-transfer: it receives everything and the sender, now
#           expecting 2, exits 0 once both verified.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=term.sh
source "$(dirname "${BASH_SOURCE[0]}")/term.sh"
mode=${2:?mode}
export E2E_VARIANT=$mode
e2e_init "$1"
e2e_need tmux jq

src=$E2E_TMP/src
out=$E2E_TMP/out
ROW='^[ >][0-9a-f]{12} '

case $mode in
screen | drop)
    e2e_random_file "$src/f.bin" $((24 << 20))
    limit=$([[ $mode == drop ]] && echo 6M || echo 40M)
    term_start send 220 30 "$E2E_TALLOW" send "$src/f.bin" --expect 3 --listen 127.0.0.1:0 \
        --limit "$limit" --timeout 120
    ;;
invite)
    e2e_random_file "$src/f.bin" $((16 << 20))
    port=$(e2e_free_port tcp)
    term_start send 220 30 "$E2E_TALLOW" send "$src/f.bin" --listen "127.0.0.1:$port" --limit 2M \
        --timeout 150
    ;;
limit)
    e2e_random_file "$src/f.bin" $((48 << 20))
    term_start send 220 30 "$E2E_TALLOW" send "$src/f.bin" --listen 127.0.0.1:0 --limit 1M \
        --timeout 150
    ;;
esac
term_code send
n=$([[ $mode == limit || $mode == invite ]] && echo 1 || echo 3)
e2e_start_receivers "$n" "$E2E_CODE" "$out" --timeout 150

# Every recipient has received something.
all_moving()
{
    local i
    for ((i = 1; i <= n; i++)); do
        (($(e2e_progress "r$i") > 1000000)) || return 1
    done
}

elapsed_since() { (($(e2e_now_ms) - $1 >= $2)); }

# rate_over MS: bytes/s r1 received over the next MS milliseconds.
rate_over()
{
    local ms=$1 b0 b1 t0 t1
    b0=$(e2e_progress r1)
    t0=$(e2e_now_ms)
    e2e_wait_until 30 elapsed_since "$t0" "$ms"
    b1=$(e2e_progress r1)
    t1=$(e2e_now_ms)
    echo $(((b1 - b0) * 1000 / (t1 - t0)))
}

# within VALUE LOW HIGH
within() { (($1 >= $2 && $1 <= $3)); }

case $mode in
screen)
    e2e_wait_until 150 term_ended send || e2e_fail "send did not end"
    e2e_wait_all_exit 30 r1 r2 r3
    screen=$(term_screen send)
    printf '%s\n' "$screen" >"$E2E_LOG/send.screen"
    rows=$(grep -Ec "$ROW" <<<"$screen") || true
    [[ $rows -eq 3 ]] || e2e_fail "expected 3 rows, the screen has $rows"
    [[ $(grep -E "$ROW" <<<"$screen" | cut -c2-13 | sort -u | wc -l) -eq 3 ]] ||
        e2e_fail "a recipient's row is repeated"
    [[ $(grep -E "$ROW" <<<"$screen" | grep -c 'verified') -eq 3 ]] || e2e_fail "not 3 verified rows"
    grep -E "$ROW" <<<"$screen" | grep -Eq '[0-9]+ ms direct' || e2e_fail "no RTT/path on the rows"
    grep -q '3 recipient(s) verified every file' <<<"$screen" || e2e_fail "no summary line"
    [[ $(term_rc send) == 0 ]] || e2e_fail "send exited $(term_rc send)"
    e2e_fanout_check 3 "$out" "$src/f.bin"
    ;;
drop)
    e2e_wait_until 60 all_moving || e2e_fail "the recipients are not all receiving"
    e2e_wait_until 10 term_has send "$ROW" || e2e_fail "no rows on the screen"
    # The selection comes with the first stats tick (about a second after
    # the rows): wait for it.
    e2e_wait_until 10 term_has send '^>[0-9a-f]{12}' || e2e_fail "no recipient selected"
    sel=$(term_screen send | grep -E '^>' | cut -c2-13)
    term_keys send d
    e2e_wait_until 20 term_has send "removed by the sender" || e2e_fail "no removed row"
    e2e_wait_until 150 term_ended send || e2e_fail "send did not end"
    e2e_wait_all_exit 30 r1 r2 r3
    term_screen send >"$E2E_LOG/send.screen"
    grep -E "^ $sel" "$E2E_LOG/send.screen" | grep -q removed || e2e_fail "row $sel not removed"
    [[ $(term_rc send) == 0 ]] || e2e_fail "send exited $(term_rc send) (a removed recipient is not a failure)"
    dropped=""
    for i in 1 2 3; do
        e2e_reap "r$i"
        if [[ $(e2e_result "r$i" error) == *"removed by the sender"* ]]; then
            [[ -z $dropped ]] || e2e_fail "two recipients were removed"
            dropped=$i
        fi
    done
    [[ -n $dropped ]] || e2e_fail "no recipient says it was removed"
    e2e_expect_rc "r$dropped" 4
    ls "$out/r$dropped"/f.bin.tallow-part >/dev/null 2>&1 || e2e_fail "r$dropped kept no partial file"
    [[ ! -e $out/r$dropped/f.bin ]] || e2e_fail "r$dropped has a complete-looking file"
    for i in 1 2 3; do
        [[ $i == "$dropped" ]] && continue
        e2e_assert_receive_ok "r$i" "$out/r$i"
        e2e_verify_received "$out/r$i" "$src/f.bin"
    done
    ;;
limit)
    e2e_wait_until 60 all_moving || e2e_fail "the recipient is not receiving"
    r0=$(rate_over 3000)
    e2e_log "rate at --limit 1M: $r0 B/s"
    within "$r0" 700000 1300000 || e2e_fail "rate $r0 B/s at a 1 MB/s limit"
    term_keys send l 4M Enter
    e2e_wait_until 10 term_has send 'limit 4.0 MB/s total' || e2e_fail "the new limit is not shown"
    t=$(e2e_now_ms)
    e2e_wait_until 10 elapsed_since "$t" 1000
    r1=$(rate_over 3000)
    e2e_log "rate after l 4M: $r1 B/s"
    within "$r1" 3000000 5000000 || e2e_fail "rate $r1 B/s after raising the limit to 4 MB/s"
    term_keys send p 500k Enter
    e2e_wait_until 10 term_has send 'limit 4.0 MB/s total, 500.0 kB/s each' ||
        e2e_fail "the per-recipient limit is not shown"
    t=$(e2e_now_ms)
    e2e_wait_until 10 elapsed_since "$t" 1000
    r2=$(rate_over 3000)
    e2e_log "rate after p 500k: $r2 B/s"
    within "$r2" 350000 700000 || e2e_fail "rate $r2 B/s at a 500 kB/s per-recipient limit"
    term_keys send l 0 Enter p 0 Enter
    e2e_wait_until 150 term_ended send || e2e_fail "send did not end"
    e2e_wait_exit r1 30
    [[ $(term_rc send) == 0 ]] || e2e_fail "send exited $(term_rc send)"
    e2e_assert_receive_ok r1 "$out/r1"
    e2e_verify_received "$out/r1" "$src/f.bin"
    ;;
invite)
    mkdir -p "$out/bob"
    e2e_spawn bob - "$E2E_TALLOW" receive --json --out "$out/bob" --name bob --accept \
        --signal "ws://127.0.0.1:$port" --timeout 150
    e2e_wait_until 60 all_moving || e2e_fail "r1 is not receiving"
    term_keys send i bob Enter
    e2e_wait_until 10 term_has send 'invited bob' || e2e_fail "the invitation is not shown"
    e2e_wait_until 150 term_ended send || e2e_fail "send did not end"
    e2e_wait_all_exit 30 r1 bob
    term_screen send >"$E2E_LOG/send.screen"
    [[ $(term_rc send) == 0 ]] || e2e_fail "send exited $(term_rc send)"
    [[ $(grep -Ec "$ROW" "$E2E_LOG/send.screen") -eq 2 ]] || e2e_fail "expected 2 rows"
    grep -q '2 recipient(s) verified every file' "$E2E_LOG/send.screen" || e2e_fail "no summary for 2"
    e2e_assert_receive_ok r1 "$out/r1"
    e2e_assert_receive_ok bob "$out/bob"
    e2e_verify_received "$out/r1" "$src/f.bin"
    e2e_verify_received "$out/bob" "$src/f.bin"
    ;;
*) e2e_fail "unknown mode $mode" ;;
esac
e2e_pass
