#!/usr/bin/env bash
# A tampered chunk: with TALLOW_TEST_TAMPER_CHUNK=2 the sender corrupts the
# ciphertext of chunk 2 for the first recipient that joined. That recipient
# ends with ok:false and an error and presents no unverified file as
# complete; the second recipient is unaffected and verifies.
#
# usage: tamper.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-16}
e2e_init "$1"

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))

TALLOW_TEST_TAMPER_CHUNK=2 e2e_start_send send - "$src/big.bin" --expect 2 --timeout 120
# r1 must be the first recipient: start r2 only once the sender saw r1 join.
e2e_start_receive r1 - "$E2E_CODE" "$out/r1" --timeout 120
e2e_wait_peer_state send joined 1 30
e2e_start_receive r2 - "$E2E_CODE" "$out/r2" --timeout 120
e2e_wait_all_exit 150 r1 r2 send

e2e_assert_receive_failed r1
e2e_assert_no_false_complete "$out/r1" "$src/big.bin"
[[ -f $out/r1/big.bin ]] && e2e_fail "tampered file presented as complete"
e2e_assert_receive_ok r2 "$out/r2"
e2e_verify_received "$out/r2" "$src/big.bin"
e2e_reap send
e2e_expect_rc send 1
[[ $(e2e_count_send_results send true) -eq 1 && $(e2e_count_send_results send false) -eq 1 ]] ||
    e2e_fail "sender results: $(e2e_send_results send)"
e2e_pass
