#!/usr/bin/env bash
# Online guessing of a join code costs one key exchange per guess (the
# join-code PAKE, docs/CRYPTO.md §3), and the sender caps how many it offers:
# with --max-failed-keys 1, one receiver holding a wrong key part fails the
# key exchange, after which the sender admits nobody new - a receiver with the
# right code is refused (the sender reports "refused"), writes nothing and
# fails at its timeout; the sender (waiting for 2) ends at its own timeout
# without a verified recipient.
#
# usage: guess_limit.sh TALLOW
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$1"

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/small.bin" $((1 << 20))

e2e_start_send send - "$src/small.bin" --expect 2 --max-failed-keys 1 --timeout 30
code=$E2E_CODE
bad=$(e2e_mutate_code "$code")
[[ $bad != "$code" ]] || e2e_fail "could not derive a wrong code"
e2e_start_receive rx - "$bad" "$out/rx" --timeout 25
e2e_wait_exit rx 30
e2e_assert_receive_failed rx
e2e_start_receive r1 - "$code" "$out/r1" --timeout 8
e2e_wait_peer_state send refused 1 20
e2e_wait_all_exit 40 r1 send
e2e_assert_receive_failed r1
for d in "$out/rx" "$out/r1"; do
    if [[ -n $(find "$d" -type f -print -quit) ]]; then
        e2e_fail "a refused or failed receiver wrote files: $(find "$d" -type f)"
    fi
done
[[ ${E2E_RC[send]} -ne 0 ]] || e2e_fail "sender exited 0 without a verified recipient"
e2e_assert_json_only send
[[ $(e2e_count_send_results send true) -eq 0 ]] || e2e_fail "sender results: $(e2e_send_results send)"
e2e_pass
