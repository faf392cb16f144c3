#!/usr/bin/env bash
# 1 -> N fan-out: one `tallow send` and N `tallow receive` processes, a random
# file of SIZE_MIB MiB plus a folder of small files (nested dirs, empty
# files). Every recipient ends with ok:true and byte-identical files, the
# sender exits 0 with N ok results.
#
# usage: fanout.sh TALLOW N [SIZE_MIB] [loopback|netns]
#   netns: the sender in its own namespace with a bridge (10.203.0.1/24), each
#   recipient in its own namespace joined by veth (10.203.0.(10+i)).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${2:?N recipients}
size_mib=${3:-256}
mode=${4:-loopback}
export E2E_VARIANT=$n-$mode
e2e_init "$1"

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))
e2e_random_tree "$src/tree"

if [[ $mode == netns ]]; then
    e2e_netns_group "$n"
    e2e_start_send send "$E2E_TX_NS" "$src/big.bin" "$src/tree" --expect "$n" \
        --listen "$E2E_TX_ADDR:0" --bind "$E2E_TX_ADDR" --timeout 200
else
    e2e_start_send send - "$src/big.bin" "$src/tree" --expect "$n" --timeout 200
fi
e2e_start_receivers "$n" "$E2E_CODE" "$out" --timeout 200

names=(send)
for ((i = 1; i <= n; i++)); do names+=("r$i"); done
e2e_wait_all_exit 230 "${names[@]}"

e2e_assert_send_ok send "$n"
e2e_fanout_check "$n" "$out" "$src/big.bin" "$src/tree"
e2e_pass
