#!/usr/bin/env bash
# Relay-only through a real coturn on 127.0.0.1: the transfer completes and
# verifies, coturn relayed it (successful ALLOCATE), and the trace
# (TALLOW_LOG=debug on stderr, sender and every recipient) shows relay
# candidates and no host or server-reflexive candidate. Both sides run with
# --bind 127.0.0.1 so that their TURN traffic stays on loopback.
#
# Candidates are recognised in either form: SDP/trickle text ("typ relay",
# "typ host", "typ srflx") or tallow's own log words ("relay candidate",
# "host candidate", "srflx candidate", "server-reflexive candidate").
#
# usage: relay_only.sh TALLOW [N] [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${2:-2}
size_mib=${3:-16}
e2e_init "$1"

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((size_mib << 20))
e2e_random_tree "$src/tree"

e2e_start_turn
mapfile -t turn < <(e2e_turn_args)
export TALLOW_LOG=debug

e2e_start_send send - "$src/big.bin" "$src/tree" --expect "$n" "${turn[@]}" \
    --bind 127.0.0.1 --timeout 200
e2e_start_receivers "$n" "$E2E_CODE" "$out" "${turn[@]}" --bind 127.0.0.1 --timeout 200
names=(send)
for ((i = 1; i <= n; i++)); do names+=("r$i"); done
e2e_wait_all_exit 220 "${names[@]}"

e2e_assert_send_ok send "$n"
e2e_fanout_check "$n" "$out" "$src/big.bin" "$src/tree"

trace=("$E2E_LOG"/send.err)
for ((i = 1; i <= n; i++)); do trace+=("$E2E_LOG/r$i.err"); done
relay=$(grep -Eaic 'typ relay|relay candidate' "${trace[@]}" | awk -F: '{ s += $NF } END { print s + 0 }')
((relay > 0)) || e2e_fail "no relay candidate in the signaling trace (is TALLOW_LOG=debug honoured?)"
leak_re='typ (host|srflx)|(host|srflx|server-reflexive) candidate'
if grep -Eai "$leak_re" "${trace[@]}" | head -n 5 >"$E2E_TMP/leak"; [[ -s $E2E_TMP/leak ]]; then
    e2e_fail "host/srflx candidate signalled in relay-only mode: $(cat "$E2E_TMP/leak")"
fi
grep -aq 'ALLOCATE processed, success' "$E2E_LOG/turnserver.log" ||
    e2e_fail "coturn logged no successful ALLOCATE: nothing was relayed"
e2e_log "$relay relay candidate lines, no host/srflx"
# The stats events (docs/CLI.md) say so too: relayed paths over relay
# candidates, relay-only on (a 16 MiB transfer lasts more than a second).
bad=$(e2e_events send 'select(.event=="stats") | select(.relay_only != true or
    (.state == "connected" and (.path != "relayed" or .local_candidate != "relay"))) |
    tojson' | head -n 1)
[[ -z $bad ]] || e2e_fail "sender stats event not relayed: $bad"
e2e_events send 'select(.event=="stats" and .path=="relayed") | .path' | grep -q . ||
    e2e_fail "no relayed stats event"
e2e_log "sender stats: $(e2e_events send 'select(.event=="stats") | .path' | sort | uniq -c | tr -s ' ')"
e2e_pass
