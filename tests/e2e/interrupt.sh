#!/usr/bin/env bash
# Leaving cleanly (docs/CLI.md "Exit status"): SIGINT on a recipient, then on
# the sender, mid-transfer; then the same commands again resume.
#
# 1. r2 gets SIGINT: it exits 4 at once, keeps its partial file, and the
#    sender reports it (cancelled / left) while r1 goes on.
# 2. the sender gets SIGINT: it tells r1 to stop (CANCEL); r1 exits 4 at once
#    with "the sender cancelled — run the same command again to resume" and
#    keeps its partial file; the sender exits 4 and keeps its session file.
# 3. the same send and receives again: both verify, and the second sender
#    re-sends less than the whole file to each (they resumed).
#
# usage: interrupt.sh TALLOW
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$1"
e2e_need jq

size=$((32 << 20))
src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/f.bin" "$size"
port=$(e2e_free_port tcp)
args=("$src/f.bin" --expect 2 --listen "127.0.0.1:$port" --peer-limit 2M --timeout 150)

e2e_start_send send1 - "${args[@]}"
code=$E2E_CODE
e2e_start_receivers 2 "$code" "$out" --timeout 150
past() { (($(e2e_progress "$1") >= $2)); }
has_event() { [[ -n $(e2e_events "$1" "$2") ]]; }
e2e_wait_until 60 past r1 3000000 || e2e_fail "r1 is not receiving"
e2e_wait_until 60 past r2 3000000 || e2e_fail "r2 is not receiving"
e2e_alive r2 || e2e_fail "r2 ended before it could be interrupted"

# 1. the recipient r2 is interrupted
kill -INT "${E2E_PIDS[r2]}"
e2e_wait_exit r2 5
e2e_expect_rc r2 4
ls "$out/r2"/f.bin.tallow-part >/dev/null 2>&1 || e2e_fail "r2 kept no partial file"
e2e_wait_until 10 has_event send1 'select(.event=="result" and .ok==false)' ||
    e2e_fail "the sender did not report r2 leaving"
e2e_log "sender on r2: $(e2e_events send1 'select(.event=="result") | .error')"
e2e_alive r1 || e2e_fail "r1 stopped with r2"

# 2. the sender is interrupted
had1=$(e2e_progress r1)
had2=$(e2e_progress r2)
((had1 < size)) || e2e_fail "r1 finished before the sender could be interrupted"
t0=$(e2e_now_ms)
kill -INT "${E2E_PIDS[send1]}"
e2e_wait_all_exit 5 send1 r1
e2e_log "sender and r1 stopped $(($(e2e_now_ms) - t0)) ms after SIGINT"
e2e_expect_rc send1 4
e2e_expect_rc r1 4
[[ $(e2e_events send1 'select(.event=="summary") | .status') == 4 ]] || e2e_fail "send1 summary status"
err=$(e2e_result r1 error)
[[ $err == *"the sender cancelled — run the same command again to resume"* ]] ||
    e2e_fail "r1 says: $err"
ls "$out/r1"/f.bin.tallow-part >/dev/null 2>&1 || e2e_fail "r1 kept no partial file"
[[ ! -e $out/r1/f.bin && ! -e $out/r2/f.bin ]] || e2e_fail "a complete-looking file after the interrupt"

# 3. the same commands again resume
e2e_start_send send2 - "${args[@]}"
[[ $E2E_CODE == "$code" ]] || e2e_fail "the session file was not kept: a new code"
e2e_start_receive r1b - "$code" "$out/r1" --timeout 150
e2e_start_receive r2b - "$code" "$out/r2" --timeout 150
e2e_wait_all_exit 120 send2 r1b r2b
e2e_assert_send_ok send2 2
e2e_assert_receive_ok r1b "$out/r1"
e2e_assert_receive_ok r2b "$out/r2"
e2e_verify_received "$out/r1" "$src/f.bin"
e2e_verify_received "$out/r2" "$src/f.bin"
resent=$(e2e_sum_bytes_sent send2)
max=$((2 * size - had1 - had2 + 2 * size / 10))
e2e_log "had $had1 + $had2 of $size each; the second send re-sent $resent bytes (bound $max)"
((resent <= max)) || e2e_fail "re-sent $resent bytes: did not resume"
e2e_pass
