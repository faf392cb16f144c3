#!/usr/bin/env bash
# A network interruption in the middle of a transfer: every packet in and out
# of one recipient's namespace is dropped for BLACKOUT seconds (nftables),
# then the network comes back. The transfer must complete and verify without
# starting over: the sender's bytes_sent for that recipient stays under 110 %
# of the file (SCTP retransmission or an ICE restart, whichever the outage
# triggers, continues the same session or resumes from what was verified).
#
# usage: net_drop.sh TALLOW [SIZE_MIB] [BLACKOUT_S]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-32}
blackout=${3:-8}
e2e_init "$1"
e2e_need nft

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))

e2e_netns_group 1
ns=${E2E_RX_NS[1]}
e2e_start_send send "$E2E_TX_NS" "$src/big.bin" --expect 1 \
    --listen "$E2E_TX_ADDR:0" --bind "$E2E_TX_ADDR" --peer-limit 4M --timeout 200
e2e_start_receivers 1 "$E2E_CODE" "$out" --timeout 200

e2e_wait_progress r1 $(((size_mib << 20) / 4)) 120
e2e_log "blackout: dropping everything in $ns for ${blackout}s"
ip netns exec "$ns" nft -f - <<'NFT' || e2e_fail "nft blackout"
table inet tallow_e2e_blackout {
    chain input { type filter hook input priority -10; policy drop; }
    chain output { type filter hook output priority -10; policy drop; }
}
NFT
before=$(e2e_progress r1)
deadline=$(($(date +%s) + blackout))
while (($(date +%s) < deadline)); do
    e2e_alive r1 || break
    sleep 0.5
done
ip netns exec "$ns" nft delete table inet tallow_e2e_blackout || e2e_fail "nft restore"
e2e_log "network back (receiver was at $before bytes)"

e2e_wait_all_exit 200 send r1
e2e_assert_send_ok send 1
e2e_fanout_check 1 "$out" "$src/big.bin"
sent=$(e2e_sum_bytes_sent send)
limit=$(((size_mib << 20) * 11 / 10))
e2e_log "bytes sent to the recipient: $sent (limit $limit)"
((sent <= limit)) || e2e_fail "transfer restarted from zero: $sent bytes sent for a $((size_mib << 20))-byte file"
e2e_pass
