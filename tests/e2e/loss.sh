#!/usr/bin/env bash
# 5 % random packet loss (nftables numgen, input and output) in every
# recipient's namespace: the transfer still completes and verifies for every
# recipient, and the loss rules really dropped packets.
#
# usage: loss.sh TALLOW [N] [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${2:-3}
size_mib=${3:-16}
e2e_init "$1"

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))
e2e_random_tree "$src/tree"

e2e_netns_group "$n"
for ((i = 1; i <= n; i++)); do e2e_netns_loss "${E2E_RX_NS[i]}" 5; done

e2e_start_send send "$E2E_TX_NS" "$src/big.bin" "$src/tree" --expect "$n" \
    --listen "$E2E_TX_ADDR:0" --bind "$E2E_TX_ADDR" --timeout 200
e2e_start_receivers "$n" "$E2E_CODE" "$out" --timeout 200

names=(send)
for ((i = 1; i <= n; i++)); do names+=("r$i"); done
e2e_wait_all_exit 230 "${names[@]}"

e2e_assert_send_ok send "$n"
e2e_fanout_check "$n" "$out" "$src/big.bin" "$src/tree"
for ((i = 1; i <= n; i++)); do
    dropped=$(e2e_loss_counters "${E2E_RX_NS[i]}")
    e2e_log "recipient $i: $dropped packets dropped by the loss rules"
    ((dropped > 0)) || e2e_fail "loss rules in ${E2E_RX_NS[i]} dropped nothing"
done
e2e_pass
