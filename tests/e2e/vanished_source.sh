#!/usr/bin/env bash
# A vanished source: once recipient 1 has about a quarter of the file, the
# source is truncated to zero and unlinked (unlink alone would leave the data
# readable through a descriptor the sender holds open on Linux). Every
# recipient that had not finished ends with ok:false and an error; no
# final-named file holds anything but the source's content; the sender exits
# non-zero (1 or 3) and reports no recipient as ok.
#
# usage: vanished_source.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-64}
e2e_init "$1"

size=$((size_mib << 20))
src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" "$size"
cp "$src/big.bin" "$E2E_TMP/original.bin"

e2e_start_send send - "$src/big.bin" --expect 2 --peer-limit 8M --timeout 120
e2e_start_receivers 2 "$E2E_CODE" "$out" --timeout 120
e2e_wait_progress r1 $((size / 4)) 60
(($(e2e_progress r1) < size)) || e2e_fail "r1 finished before the source could vanish"
: >"$src/big.bin"
rm -f "$src/big.bin"
e2e_log "source truncated and removed at r1=$(e2e_progress r1) bytes"
e2e_wait_all_exit 150 r1 r2 send

for r in r1 r2; do
    e2e_assert_receive_failed "$r"
    e2e_assert_no_false_complete "$out/$r" "$E2E_TMP/original.bin"
    [[ -f $out/$r/big.bin ]] && e2e_fail "$r presents big.bin as complete"
done
e2e_reap send
e2e_expect_rc send 1 3
[[ $(e2e_count_send_results send true) -eq 0 ]] || e2e_fail "sender reports ok results: $(e2e_send_results send)"
e2e_pass
