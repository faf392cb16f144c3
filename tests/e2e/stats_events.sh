#!/usr/bin/env bash
# JSON `stats` events (docs/CLI.md): a sender and 2 recipients on loopback
# at --limit 4M. Each side reports each peer at most once a second with the
# documented fields: rtt_ms from SCTP, path "direct" over host candidates,
# bytes growing, a rate, retransmits; the recipients report their sender.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$1"
e2e_need jq

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/f.bin" $((16 << 20))
t0=$(e2e_now_ms)
e2e_start_send send - "$src/f.bin" --expect 2 --limit 4M --timeout 120
e2e_start_receivers 2 "$E2E_CODE" "$out" --timeout 120
e2e_wait_all_exit 120 send r1 r2
secs=$((($(e2e_now_ms) - t0) / 1000 + 1))
e2e_assert_send_ok send 2
e2e_fanout_check 2 "$out" "$src/f.bin"

# check NAME N_PEERS: NAME's stats events.
check()
{
    local name=$1 want=$2 peers p n bad
    # (before ICE selected a pair, path and candidates are still "")
    bad=$(e2e_events "$name" 'select(.event=="stats") |
        select((.peer|type) != "string" or (.name|type) != "string" or
               (.rtt_ms|type) != "number" or .rtt_ms < 0 or
               (.state == "connected" and (.path != "direct" or .local_candidate != "host" or
                                           .remote_candidate != "host")) or
               (.path | IN("direct", "relayed", "") | not) or (.bytes|type) != "number" or
               (.rate|type) != "number" or (.retransmits|type) != "number" or
               (.quality|type) != "string" or .relay_only != false or
               (.connected_peers|type) != "number") | tojson')
    [[ -z $bad ]] || e2e_fail "$name: bad stats event: ${bad%%$'\n'*}"
    peers=$(e2e_events "$name" 'select(.event=="stats") | .peer' | sort -u)
    [[ $(wc -l <<<"$peers") -eq $want ]] || e2e_fail "$name: stats for $(wc -l <<<"$peers") peers, expected $want"
    for p in $peers; do
        n=$(e2e_events "$name" "select(.event==\"stats\" and .peer==\"$p\") | .bytes" | wc -l)
        ((n >= 2)) || e2e_fail "$name: only $n stats events for $p"
        ((n <= secs)) || e2e_fail "$name: $n stats events for $p in ${secs}s (more than 1/s)"
        e2e_events "$name" "select(.event==\"stats\" and .peer==\"$p\") | .bytes" |
            awk 'NR > 1 && $1 < prev { exit 1 } { prev = $1 }' || e2e_fail "$name: bytes went down"
        e2e_events "$name" "select(.event==\"stats\" and .peer==\"$p\" and .rate > 0) | .rate" |
            grep -q . || e2e_fail "$name: no rate for $p"
        e2e_events "$name" "select(.event==\"stats\" and .peer==\"$p\" and .path==\"direct\") | .path" |
            grep -q . || e2e_fail "$name: no direct path for $p"
        e2e_log "$name: $n stats events for $p in ${secs}s, last: $(e2e_events "$name" \
            "select(.event==\"stats\" and .peer==\"$p\") | \"rtt \(.rtt_ms) ms, \(.path), \(.rate|floor) B/s\"" | tail -n 1)"
    done
}
check send 2
check r1 1
check r2 1
e2e_pass
