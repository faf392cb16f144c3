#!/usr/bin/env bash
# Free space before accepting (docs/CLI.md): recipient 1 writes into a 2 MiB
# tmpfs (mounted by this test) and is offered a 4 MiB file. It refuses before
# any data, with both numbers: a `nospace` event, a result ok:false, exit
# status 6, nothing left in its folder; the sender shows the reason for that
# recipient, recipient 2 (normal disk) verifies, the sender exits 1.
#
# usage: nospace.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-4}
e2e_init "$1"
e2e_need_root

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))
e2e_mount_tmpfs "$out/r1" 2m

e2e_start_send send - "$src/big.bin" --expect 2 --timeout 120
e2e_start_receivers 2 "$E2E_CODE" "$out" --timeout 120
e2e_wait_all_exit 150 r1 r2 send

e2e_reap r1
e2e_expect_rc r1 6
need=$(e2e_events r1 'select(.event=="nospace") | .needed')
avail=$(e2e_events r1 'select(.event=="nospace") | .available')
path=$(e2e_events r1 'select(.event=="nospace") | .path')
[[ $need == $((size_mib << 20)) ]] || e2e_fail "r1 nospace needed '$need'"
[[ -n $avail && $avail -lt $need && $avail -le $((2 << 20)) ]] || e2e_fail "r1 nospace available '$avail'"
[[ $path == "$out/r1" ]] || e2e_fail "r1 nospace path '$path'"
[[ $(e2e_result r1 ok) == false ]] || e2e_fail "r1: no ok:false result"
err=$(e2e_result r1 error)
[[ $err == "not enough space: needs 4.2 MB, "*" free on $out/r1" ]] || e2e_fail "r1 error '$err'"
e2e_log "r1 refused: $err"
left=$(find "$out/r1" -mindepth 1)
[[ -z $left ]] || e2e_fail "r1 left files behind: $left"

e2e_assert_receive_ok r2 "$out/r2"
e2e_verify_received "$out/r2" "$src/big.bin"
e2e_reap send
e2e_expect_rc send 1
[[ $(e2e_count_send_results send true) -eq 1 && $(e2e_count_send_results send false) -eq 1 ]] ||
    e2e_fail "sender results: $(e2e_send_results send)"
serr=$(e2e_events send 'select(.event=="result" and .ok==false) | .error')
[[ $serr == "recipient reported: not enough space: needs 4.2 MB, "* ]] ||
    e2e_fail "sender shows '$serr' for r1"
e2e_log "sender shows for r1: $serr"
e2e_pass
