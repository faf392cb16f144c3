#!/usr/bin/env bash
# kill -9 one recipient at about half: the other recipients complete;
# restarting it with the same code and --out resumes, and the bytes re-sent
# are under 10 % of the file.
#
# Measured: R = bytes of the killed receiver's last `progress` event before the
# kill (a lower bound of what it had). The restarted receiver is a new peer at
# the sender; the sender's ok results then sum to
#   2 * SIZE (the two untouched recipients) + bytes sent to the restarted one,
# so re-sent = sum - 2 * SIZE - (SIZE - R). Since R can only under-estimate
# what was on disk, this over-estimates the re-sent bytes (never hides them).
#
# usage: kill_recipient.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-128}
e2e_init "$1"

size=$((size_mib << 20))
src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" "$size"

# A per-recipient cap keeps the transfer slow enough (about 8 s for 128 MiB)
# that "about half" can be observed from 4-per-second progress events.
e2e_start_send send - "$src/big.bin" --expect 3 --peer-limit 16M --timeout 200
code=$E2E_CODE
e2e_start_receivers 3 "$code" "$out" --timeout 200

e2e_wait_progress r1 $((size / 2)) 120
r_kill=$(e2e_progress r1)
((r_kill < size)) || e2e_fail "r1 finished before it could be killed"
e2e_kill9 r1
e2e_log "r1 killed at $r_kill of $size bytes"
[[ -f $out/r1/big.bin ]] && e2e_fail "killed receiver left a final-named big.bin"

e2e_start_receive r1b - "$code" "$out/r1" --timeout 200
e2e_wait_all_exit 220 r2 r3 r1b send

e2e_assert_receive_ok r2 "$out/r2"
e2e_assert_receive_ok r3 "$out/r3"
e2e_assert_receive_ok r1b "$out/r1"
e2e_verify_received "$out/r1" "$src/big.bin"
e2e_verify_received "$out/r2" "$src/big.bin"
e2e_verify_received "$out/r3" "$src/big.bin"
e2e_reap send
e2e_expect_rc send 0 1 # the killed peer may be reported as failed
e2e_assert_json_only send
(($(e2e_count_send_results send true) >= 3)) || e2e_fail "sender has fewer than 3 ok results"

resume_at=$(e2e_events r1b 'select(.event=="progress") | .bytes' | head -n 1) || true
e2e_log "restarted receiver's first progress: ${resume_at:-none} bytes"
sum=$(e2e_sum_bytes_sent send)
resent=$((sum - 2 * size - (size - r_kill)))
e2e_log "sender bytes_sent (ok results) $sum; re-sent estimate $resent bytes ($((resent * 100 / size)) %)"
((resent * 10 < size)) || e2e_fail "re-sent $resent bytes, not under 10 % of $size"
e2e_pass
