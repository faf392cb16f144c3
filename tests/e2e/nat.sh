#!/usr/bin/env bash
# tallow between machines, modelled with network namespaces (issue #9):
#
#   lan          two hosts on one segment (veth, no NAT, no flags): `tallow
#                send FILE` on host A; `tallow receive CODE` on host B and on
#                host A both verify; the code carries A's default-route
#                address (not an earlier dummy interface's, not loopback).
#                Then a second send with --listen 0.0.0.0:0 advertises the
#                same address (never the wildcard), and B verifies again.
#   lan6         the same on an IPv6-only segment (fd00:50::/64): the code
#                carries [fd00:50::1] and the recipient on B verifies.
#   stun         sender and recipient behind two ordinary NAT routers, a
#                public segment with `tallow signal` and coturn between them,
#                STUN only: a direct server-reflexive path, verified.
#   symmetric    both NATs with random port mapping (masquerade
#                random,fully-random), STUN + TURN given, no --relay-only:
#                ICE picks the relay by itself, verified.
#   tcp          UDP blocked at both NATs: TURN over TCP, verified.
#   server-ice   random-mapping NATs, no ICE flags on the clients at all: the
#                STUN/TURN servers and per-client TURN REST credentials come
#                from `tallow signal --stun --turn --turn-secret`; verified
#                over the relay.
#   embedded-ice a sender on the public segment whose embedded server hands
#                out the TURN server (`tallow send --turn --turn-secret-file`);
#                the recipient behind a NAT that drops UDP has no ICE flags
#                and verifies over TURN/TCP with those credentials.
#   mixed        one group: the sender behind an ordinary NAT, recipient L on
#                the sender's LAN (host path), recipient O behind another
#                ordinary NAT (direct, server-reflexive), recipient X behind
#                a random-mapping NAT (relayed); ICE servers from the
#                signaling server; all verify, and each recipient's selected
#                pair is the expected kind.
#
# The routers are modelled like home routers: masquerade on the outside
# interface, and unsolicited inbound packets dropped (`ct state new drop` on
# the outside interface, input and forward). Without the input rule, a
# peer's check that arrives before the host has sent leaves a conntrack entry
# for the router's own port and masquerade moves the host's next packet to
# another port, so hole punching would fail for every ICE agent. The public
# segment routes private addresses into a sink (a veth pair that drops): without
# a route coturn gets ENETUNREACH for a private host candidate and closes the
# allocation.
#
# The selected candidate pair is read from each process's info log ("ice:
# selected pair LOCAL/REMOTE"; no addresses at that level).
#
# usage: nat.sh TALLOW MODE [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mode=${2:?mode}
size_mib=${3:-8}
E2E_VARIANT=$mode
e2e_init "$1"
e2e_need_root
e2e_need ip nft ss openssl
export TALLOW_LOG=${TALLOW_LOG:-info}

PUB_IP=203.0.113.1
src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/data.bin" $((size_mib << 20))

# ---------------------------------------------------------------- topology

# ns_new NAME: creates namespace PREFIX+NAME (recorded for the trap, so not
# in a subshell) and sets NS to it.
NS=""
ns_new()
{
    NS=${E2E_NS_PREFIX}$1
    ip netns add "$NS" || e2e_fail "ip netns add $NS"
    E2E_NETNS+=("$NS")
    ip -n "$NS" link set lo up
}

link_up() { [[ $(ip netns exec "$1" cat "/sys/class/net/$2/operstate" 2>/dev/null) == up ]]; }

# public: a bridge at 203.0.113.1/24 (signal server and coturn live here) and
# a default route into a sink for the private addresses ICE tries.
PUB=""
make_public()
{
    ns_new pub
    PUB=$NS
    ip -n "$PUB" link add br0 type bridge
    ip -n "$PUB" addr add "$PUB_IP/24" dev br0
    ip -n "$PUB" link set br0 up
    # The sink: a veth pair whose far end drops what it gets (the frames go
    # to a MAC nobody has; this kernel has no dummy interfaces).
    ip -n "$PUB" link add sink0 type veth peer name sink1
    ip -n "$PUB" link set sink0 up
    ip -n "$PUB" link set sink1 up
    ip -n "$PUB" addr add 192.0.2.253/30 dev sink0
    ip -n "$PUB" neigh add 192.0.2.254 lladdr 02:00:00:00:00:fe dev sink0 nud permanent
    ip -n "$PUB" route add default via 192.0.2.254
}

# plug BRIDGE_NS BRIDGE PORT NS IFACE ADDR/LEN: a veth pair from port PORT
# of BRIDGE (in BRIDGE_NS) to IFACE in NS, which gets ADDR/LEN; both up.
plug()
{
    local bns=$1 br=$2 port=$3 ns=$4 ifc=$5 addr=$6
    ip -n "$bns" link add "$port" type veth peer name "$ifc" netns "$ns"
    ip -n "$bns" link set "$port" master "$br"
    ip -n "$bns" link set "$port" up
    ip -n "$ns" addr add "$addr" dev "$ifc"
    ip -n "$ns" link set "$ifc" up
}

# make_router N KIND: router namespace N with wan 203.0.113.(10+N) on the
# public bridge and a LAN bridge 10.N.0.1/24. KIND: plain, random (random
# port mapping) or noudp (plain, and UDP to the outside dropped).
declare -A ROUTER=()
make_router()
{
    local n=$1 kind=$2 r masq="masquerade" extra=""
    ns_new "rt$n"
    r=$NS
    ROUTER[$n]=$r
    plug "$PUB" br0 "w$n" "$r" wan "203.0.113.$((10 + n))/24"
    ip -n "$r" link add lan type bridge
    ip -n "$r" addr add "10.$n.0.1/24" dev lan
    ip -n "$r" link set lan up
    ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
    [[ $kind == random ]] && masq="masquerade random,fully-random"
    [[ $kind == noudp ]] && extra='oifname "wan" meta l4proto udp drop'
    ip netns exec "$r" nft -f - <<EOF || e2e_fail "nft in router $n"
table ip tallow_nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" $masq
    }
}
table inet tallow_fw {
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan" ct state new drop
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname "wan" ct state new drop
        $extra
    }
}
EOF
    e2e_wait_until 10 link_up "$r" wan || e2e_fail "router $n wan down"
}

# make_host NAME N K: host namespace NAME at 10.N.0.K/24 behind router N.
declare -A HOST=()
make_host()
{
    local name=$1 n=$2 k=$3 h r=${ROUTER[$2]}
    ns_new "$name"
    h=$NS
    HOST[$name]=$h
    plug "$r" lan "h$k" "$h" eth0 "10.$n.0.$k/24"
    ip -n "$h" route add default via "10.$n.0.1"
    e2e_wait_until 10 link_up "$h" eth0 || e2e_fail "host $name link down"
}

# ---------------------------------------------------------------- servers

TURN_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
TURN_SECRET_FILE=$E2E_TMP/turn-secret
(umask 077 && printf '%s\n' "$TURN_SECRET" >"$TURN_SECRET_FILE")
TURN_PORT=3478

_turn_up()
{
    kill -0 "$E2E_TURN_PID" 2>/dev/null || e2e_fail "turnserver exited during start-up"
    [[ -n $(ip netns exec "$PUB" ss -H -lun "sport = :$TURN_PORT") &&
        -n $(ip netns exec "$PUB" ss -H -ltn "sport = :$TURN_PORT") ]]
}

# coturn in the public namespace with the TURN REST API (use-auth-secret),
# UDP and TCP listeners, no TLS. Not no-stun-backward-compatibility: with it
# coturn does not answer libnice's server-reflexive discovery (docs/DEPLOY.md).
start_turn()
{
    e2e_need turnserver
    cat >"$E2E_TMP/turnserver.conf" <<EOF
listening-ip=$PUB_IP
relay-ip=$PUB_IP
listening-port=$TURN_PORT
min-port=49152
max-port=49400
use-auth-secret
static-auth-secret=$TURN_SECRET
realm=tallow.test
no-tls
no-dtls
no-cli
fingerprint
denied-peer-ip=10.0.0.0-10.255.255.255
denied-peer-ip=172.16.0.0-172.31.255.255
denied-peer-ip=192.168.0.0-192.168.255.255
denied-peer-ip=127.0.0.0-127.255.255.255
simple-log
log-file=$E2E_LOG/turnserver.log
pidfile=$E2E_TMP/turnserver.pid
verbose
EOF
    ip netns exec "$PUB" turnserver -c "$E2E_TMP/turnserver.conf" \
        >"$E2E_LOG/turnserver.out" 2>&1 </dev/null &
    E2E_TURN_PID=$!
    e2e_wait_until 15 _turn_up || e2e_fail "turnserver not listening"
}

# A TURN REST credential made here, for clients given --turn by hand.
TURN_USER="$(($(date +%s) + 3600)):e2e"
TURN_PASS=$(printf '%s' "$TURN_USER" | openssl dgst -sha1 -hmac "$TURN_SECRET" -binary | base64)

SIG_PORT=""
_sig_port() { grep -o "listening on ws://$PUB_IP:[0-9]*" "$E2E_LOG/sig.err" 2>/dev/null | grep -o '[0-9]*$'; }
start_signal()
{
    e2e_spawn sig "$PUB" "$E2E_TALLOW" signal --listen "$PUB_IP:0" "$@"
    e2e_wait_until 10 _sig_port || e2e_fail "signal server did not start"
    SIG_PORT=$(_sig_port)
    e2e_log "signal ws://$PUB_IP:$SIG_PORT, coturn $PUB_IP:$TURN_PORT"
}

# ---------------------------------------------------------------- checks

# selected NAME: the last selected pair NAME logged ("local/remote").
selected() { grep -o 'selected pair [a-z]*/[a-z]*' "$E2E_LOG/$1.err" | tail -n 1 | cut -d' ' -f3; }

expect_path()
{
    local name=$1 want=$2 got
    got=$(selected "$name")
    [[ -n $got ]] || e2e_fail "$name logged no selected pair"
    case $want in
    host) [[ $got == host/host ]] ;;
    direct) [[ $got != *relay* ]] ;;
    srflx) [[ $got != *relay* && $got != host/host ]] ;;
    relay) [[ $got == *relay* ]] ;;
    esac || e2e_fail "$name: selected pair $got, expected a $want path"
    e2e_log "$name: selected pair $got ($want)"
}

receive_ok()
{
    e2e_assert_receive_ok "$1" "$out/$1"
    e2e_verify_received "$out/$1" "$src/data.bin"
}

# one_to_one KIND_A KIND_B SEND_ARGS RECV_ARGS: a sender behind router 1, a
# recipient behind router 2, signaling on the public segment.
one_to_one()
{
    local -a sargs=() rargs=()
    make_public
    make_router 1 "$1"
    make_router 2 "$2"
    make_host a 1 10
    make_host b 2 10
    start_turn
    IFS=' ' read -ra sargs <<<"$3"
    IFS=' ' read -ra rargs <<<"$4"
    start_signal "${SIG_ARGS[@]}"
    e2e_start_send send "${HOST[a]}" "$src/data.bin" --signal "ws://$PUB_IP:$SIG_PORT" \
        --expect 1 --timeout 120 "${sargs[@]}"
    e2e_start_receive b "${HOST[b]}" "$E2E_CODE" "$out/b" --timeout 110 "${rargs[@]}"
    e2e_wait_all_exit 120 b send
    receive_ok b
    e2e_assert_send_ok send 1
}

SIG_ARGS=()
STUN="stun:$PUB_IP:$TURN_PORT"
TURN_UDP="turn:$PUB_IP:$TURN_PORT?transport=udp"
TURN_TCP="turn:$PUB_IP:$TURN_PORT?transport=tcp"

case $mode in
lan)
    ns_new a
    a=$NS
    ns_new b
    b=$NS
    # Another interface first, so "the first address" would be the wrong one.
    ip -n "$a" link add aaa0 type veth peer name aaa1
    ip -n "$a" addr add 10.99.9.1/24 dev aaa0
    ip -n "$a" link set aaa0 up
    ip -n "$a" link set aaa1 up
    ip -n "$a" link add eth0 type veth peer name eth0 netns "$b"
    ip -n "$a" addr add 10.50.0.1/24 dev eth0
    ip -n "$b" addr add 10.50.0.2/24 dev eth0
    ip -n "$a" link set eth0 up
    ip -n "$b" link set eth0 up
    ip -n "$a" route add default via 10.50.0.2
    e2e_wait_until 10 link_up "$a" eth0 || e2e_fail "eth0 down in A"
    e2e_wait_until 10 link_up "$b" eth0 || e2e_fail "eth0 down in B"
    e2e_spawn send "$a" "$E2E_TALLOW" send "$src/data.bin" --expect 2 --timeout 120 --json
    e2e_read_code send
    [[ $E2E_CODE == *@10.50.0.1:* ]] || e2e_fail "code $E2E_CODE does not carry 10.50.0.1"
    [[ $(e2e_events send 'select(.event=="code") | .interface') == eth0 ]] ||
        e2e_fail "code event does not name eth0"
    e2e_start_receive rb "$b" "$E2E_CODE" "$out/rb" --timeout 110
    e2e_start_receive ra "$a" "$E2E_CODE" "$out/ra" --timeout 110
    e2e_wait_all_exit 120 rb ra send
    for r in rb ra; do receive_ok "$r"; done
    e2e_assert_send_ok send 2
    expect_path rb host
    # A wildcard --listen advertises the same address, never 0.0.0.0.
    e2e_spawn send2 "$a" "$E2E_TALLOW" send "$src/data.bin" --listen 0.0.0.0:0 --expect 1 \
        --timeout 120 --session "$E2E_TMP/s2.session" --json
    e2e_read_code send2
    [[ $E2E_CODE == *@10.50.0.1:* ]] || e2e_fail "--listen 0.0.0.0: code $E2E_CODE"
    e2e_start_receive rb2 "$b" "$E2E_CODE" "$out/rb2" --timeout 110
    e2e_wait_all_exit 120 rb2 send2
    receive_ok rb2
    e2e_assert_send_ok send2 1
    ;;
lan6)
    ns_new a
    a=$NS
    ns_new b
    b=$NS
    ip -n "$a" link add eth0 type veth peer name eth0 netns "$b"
    for ns in "$a" "$b"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
    done
    ip -n "$a" addr add fd00:50::1/64 dev eth0 nodad
    ip -n "$b" addr add fd00:50::2/64 dev eth0 nodad
    ip -n "$a" link set eth0 up
    ip -n "$b" link set eth0 up
    ip -n "$a" -6 route add default via fd00:50::2
    e2e_wait_until 10 link_up "$a" eth0 || e2e_fail "eth0 down in A"
    e2e_wait_until 10 link_up "$b" eth0 || e2e_fail "eth0 down in B"
    e2e_spawn send "$a" "$E2E_TALLOW" send "$src/data.bin" --expect 1 --timeout 120 --json
    e2e_read_code send
    [[ $E2E_CODE == *'@[fd00:50::1]:'* ]] || e2e_fail "code $E2E_CODE does not carry [fd00:50::1]"
    e2e_start_receive rb "$b" "$E2E_CODE" "$out/rb" --timeout 110
    e2e_wait_all_exit 120 rb send
    receive_ok rb
    e2e_assert_send_ok send 1
    expect_path rb host
    ;;
stun)
    one_to_one plain plain "--stun $STUN" "--stun $STUN"
    expect_path b srflx
    ;;
symmetric)
    t="--stun $STUN --turn $TURN_UDP --turn-user $TURN_USER --turn-pass $TURN_PASS"
    one_to_one random random "$t" "$t"
    expect_path b relay
    ;;
tcp)
    t="--turn $TURN_TCP --turn-user $TURN_USER --turn-pass $TURN_PASS"
    one_to_one noudp noudp "$t" "$t"
    expect_path b relay
    for r in 11 12; do
        grep -q "tcp or tls connected to: 203.0.113.$r:" "$E2E_LOG/turnserver.log" ||
            e2e_fail "coturn saw no TCP connection from router 203.0.113.$r"
    done
    ;;
server-ice)
    SIG_ARGS=(--stun "$STUN" --turn "$TURN_UDP" --turn-secret-file "$TURN_SECRET_FILE")
    one_to_one random random "" ""
    expect_path b relay
    # The allocations used credentials the signaling server made per peer.
    grep -Eq 'user <[0-9]+:[0-9a-f]{16}>' "$E2E_LOG/turnserver.log" ||
        e2e_fail "coturn saw no per-peer TURN REST user name"
    ;;
embedded-ice)
    make_public
    make_router 2 noudp
    make_host b 2 10
    start_turn
    e2e_start_send send "$PUB" "$src/data.bin" --listen "$PUB_IP:0" --turn "$TURN_TCP" \
        --turn-secret-file "$TURN_SECRET_FILE" --expect 1 --timeout 120
    e2e_start_receive b "${HOST[b]}" "$E2E_CODE" "$out/b" --timeout 110
    e2e_wait_all_exit 120 b send
    receive_ok b
    e2e_assert_send_ok send 1
    expect_path b relay
    grep -Eq 'user <[0-9]+:[0-9a-f]{16}>' "$E2E_LOG/turnserver.log" ||
        e2e_fail "coturn saw no per-peer TURN REST user name"
    ;;
mixed)
    make_public
    make_router 1 plain
    make_router 2 plain
    make_router 3 random
    make_host s 1 10
    make_host l 1 11
    make_host o 2 10
    make_host x 3 10
    start_turn
    start_signal --stun "$STUN" --turn "$TURN_UDP" --turn-secret "$TURN_SECRET"
    e2e_start_send send "${HOST[s]}" "$src/data.bin" --signal "ws://$PUB_IP:$SIG_PORT" \
        --expect 3 --timeout 150
    for r in l o x; do
        e2e_start_receive "$r" "${HOST[$r]}" "$E2E_CODE" "$out/$r" --timeout 140
    done
    e2e_wait_all_exit 160 l o x send
    for r in l o x; do receive_ok "$r"; done
    e2e_assert_send_ok send 3
    expect_path l host
    expect_path o srflx
    expect_path x relay
    ;;
*)
    e2e_fail "unknown mode $mode"
    ;;
esac
e2e_pass
