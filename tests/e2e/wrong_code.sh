#!/usr/bin/env bash
# A wrong join code (the code with its last letter or digit changed) ends that
# receiver with ok:false and an error, writes no file for it, and does not
# disturb the two recipients holding the right code, which verify; the sender
# ends with exactly two ok results.
#
# usage: wrong_code.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-16}
e2e_init "$1"

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))

e2e_start_send send - "$src/big.bin" --expect 2 --timeout 120
code=$E2E_CODE
bad=$(e2e_mutate_code "$code")
[[ $bad != "$code" ]] || e2e_fail "could not derive a wrong code"
e2e_log "wrong code: $bad"
e2e_start_receive r1 - "$code" "$out/r1" --timeout 120
e2e_start_receive rx - "$bad" "$out/rx" --timeout 60
e2e_start_receive r2 - "$code" "$out/r2" --timeout 120
e2e_wait_all_exit 150 rx r1 r2 send

e2e_assert_receive_failed rx
if [[ -n $(find "$out/rx" -type f -print -quit) ]]; then
    e2e_fail "a receiver with a wrong code wrote files: $(find "$out/rx" -type f)"
fi
e2e_assert_receive_ok r1 "$out/r1"
e2e_assert_receive_ok r2 "$out/r2"
e2e_verify_received "$out/r1" "$src/big.bin"
e2e_verify_received "$out/r2" "$src/big.bin"
e2e_reap send
e2e_expect_rc send 0 1 # a failed join may or may not be reported as a result
e2e_assert_json_only send
[[ $(e2e_count_send_results send true) -eq 2 ]] || e2e_fail "sender results: $(e2e_send_results send)"
e2e_pass
