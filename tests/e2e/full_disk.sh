#!/usr/bin/env bash
# A disk that fills during the transfer: recipient 1 writes into an 8 MiB
# tmpfs (mounted by this test) and is sent a 6 MiB file, which fits when the
# offer is checked (an offer that does not fit is refused up front:
# nospace.sh); once r1 has verified data, the test fills the tmpfs. r1 ends
# with ok:false and an error and leaves no final-named file; recipient 2 (on
# the normal disk) verifies; the sender exits 1 with one ok and one failed
# result.
#
# usage: full_disk.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-6}
e2e_init "$1"
e2e_need_root

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))
e2e_mount_tmpfs "$out/r1" 8m

# 1 MB/s per recipient: the file takes seconds, the filler lands meanwhile.
e2e_start_send send - "$src/big.bin" --expect 2 --peer-limit 1M --timeout 120
e2e_start_receivers 2 "$E2E_CODE" "$out" --timeout 120
_r1_started() { (($(e2e_progress r1) > 0)); }
e2e_wait_until 60 _r1_started || e2e_fail "r1 made no progress"
# Fill what is left (dd stops at ENOSPC).
dd if=/dev/zero of="$out/r1/filler" bs=64k 2>/dev/null || true
e2e_log "tmpfs filled at r1 progress $(e2e_progress r1): $(df -k "$out/r1" | tail -1)"
e2e_wait_all_exit 150 r1 r2 send
rm -f "$out/r1/filler" # ours, not the receiver's

e2e_assert_receive_failed r1
e2e_assert_no_false_complete "$out/r1" "$src/big.bin"
[[ -f $out/r1/big.bin ]] && e2e_fail "r1 presents big.bin as complete on a full disk"
e2e_assert_receive_ok r2 "$out/r2"
e2e_verify_received "$out/r2" "$src/big.bin"
e2e_reap send
e2e_expect_rc send 1
[[ $(e2e_count_send_results send true) -eq 1 && $(e2e_count_send_results send false) -eq 1 ]] ||
    e2e_fail "sender results: $(e2e_send_results send)"
e2e_pass
