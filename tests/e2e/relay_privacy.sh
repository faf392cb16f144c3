#!/usr/bin/env bash
# Privacy by packet capture (docs/SECURITY.md): a relay-only recipient in its
# own namespace, given a --stun server as well, talks to nobody but the TURN
# server and the signaling server - no STUN binding request, no direct
# packet to the sender; and a recipient that is not relay-only, in a
# namespace whose interface has an IPv6 link-local address, signals no
# link-local (fe80::) candidate, nor does the sender.
#
# Layout (e2e_netns_group 2): the sender, its embedded signaling server and
# coturn in the sender namespace on 10.203.0.1; r1 (relay-only, captured
# with tcpdump on its only interface) and r2 (host candidates) in their own.
#
# usage: relay_privacy.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-4}
e2e_init "$1"
e2e_need_root
e2e_need tcpdump turnserver ss

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/a.bin" $((size_mib << 20))

e2e_netns_group 2
r1ns=${E2E_RX_NS[1]}
r2ns=${E2E_RX_NS[2]}

# The interfaces get their IPv6 link-local address after duplicate address
# detection; without one the link-local half of the test would prove
# nothing, so wait for it (and skip that half if IPv6 is off here).
_has_ll() { ip -n "$1" -6 addr show dev "$2" scope link 2>/dev/null | grep -v tentative | grep -q 'inet6 fe80'; }
have_ll=1
if ! e2e_wait_until 10 _has_ll "$r2ns" eth0 || ! e2e_wait_until 10 _has_ll "$E2E_TX_NS" br0; then
    have_ll=0
    e2e_log "no IPv6 link-local address in the namespaces: link-local check skipped"
fi

e2e_start_turn "$E2E_TX_NS" "$E2E_TX_ADDR"
stun_port=3479 # nothing listens there: any packet to it is a STUN request
sig_port=$((20000 + RANDOM % 20000))
export TALLOW_LOG=debug

cap=$E2E_TMP/r1.pcap
e2e_spawn cap "$r1ns" tcpdump -i eth0 -n -U -w "$cap"
_cap_ready() { grep -q 'listening on' "$E2E_LOG/cap.err"; }
e2e_wait_until 10 _cap_ready || e2e_fail "tcpdump did not start"

e2e_start_send send "$E2E_TX_NS" "$src/a.bin" --expect 2 --listen "$E2E_TX_ADDR:$sig_port" \
    --turn "$E2E_TURN_URL" --turn-user "$E2E_TURN_USER" --turn-pass "$E2E_TURN_PASS" --timeout 120
e2e_start_receive r1 "$r1ns" "$E2E_CODE" "$out/r1" --relay-only --turn "$E2E_TURN_URL" \
    --turn-user "$E2E_TURN_USER" --turn-pass "$E2E_TURN_PASS" \
    --stun "stun:$E2E_TX_ADDR:$stun_port" --timeout 120
e2e_start_receive r2 "$r2ns" "$E2E_CODE" "$out/r2" --timeout 120
e2e_wait_all_exit 150 r1 r2 send
e2e_assert_send_ok send 2
e2e_fanout_check 2 "$out" "$src/a.bin"

kill -INT "${E2E_PIDS[cap]}"
e2e_wait_exit cap 10

# Every IPv4 packet r1 sent went to the TURN server (UDP) or the signaling
# server (TCP); no UDP/TCP over IPv6 at all (the kernel's own ICMPv6
# neighbour discovery is not tallow's).
r1addr=${E2E_RX_ADDR[1]}
tcpdump -r "$cap" -n 'ip or (ip6 and (tcp or udp))' 2>/dev/null >"$E2E_TMP/cap.txt" ||
    e2e_fail "cannot read the capture"
sent=$(awk -v me="$r1addr" '$2 == "IP" && index($3, me ".") == 1 { print $5 }' "$E2E_TMP/cap.txt" |
    tr -d ':' | sort | uniq -c)
e2e_log "r1 sent (packets, destination): $(echo "$sent" | tr '\n' ';')"
[[ -n $sent ]] || e2e_fail "the capture holds no packet from r1"
bad=$(echo "$sent" | awk -v t="$E2E_TX_ADDR.$E2E_TURN_PORT" -v s="$E2E_TX_ADDR.$sig_port" \
    '$2 != t && $2 != s { print $2 }')
[[ -z $bad ]] || e2e_fail "relay-only r1 sent packets to: $bad"
echo "$sent" | awk -v t="$E2E_TX_ADDR.$E2E_TURN_PORT" '$2 == t { f = 1 } END { exit !f }' ||
    e2e_fail "r1 sent nothing to the TURN server"
if grep -q ' IP6 ' "$E2E_TMP/cap.txt"; then
    e2e_fail "r1 sent UDP/TCP over IPv6: $(grep ' IP6 ' "$E2E_TMP/cap.txt" | head -n 2)"
fi
! grep -q "\\.$stun_port[: ]" "$E2E_TMP/cap.txt" || e2e_fail "r1 sent a STUN request to --stun"

if ((have_ll)); then
    grep -Eaq 'typ host' "$E2E_LOG/r2.err" || e2e_fail "r2 signalled no host candidate at all"
    if grep -Eai 'typ host|candidate' "$E2E_LOG/send.err" "$E2E_LOG/r2.err" | grep -qi 'fe80:'; then
        e2e_fail "a link-local candidate was signalled: $(grep -ai 'fe80:' "$E2E_LOG/send.err" "$E2E_LOG/r2.err" | head -n 2)"
    fi
    e2e_log "no fe80:: candidate signalled by the sender or r2"
fi
e2e_pass
