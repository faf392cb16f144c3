#!/usr/bin/env bash
# `tallow signal --config FILE` serving wss, and certificate reload on SIGHUP
# without dropping connections, with real tallow processes:
#  1. the server, configured only by a config file, serves certificate A;
#  2. a receiver (`tallow receive --name alice`) connects over wss and waits;
#  3. the files are replaced by certificate B and the server gets SIGHUP: new
#     connections see B, while the receiver's TCP connection (same socket,
#     same local port) is still established;
#  4. a sender invites alice over a new connection: the invitation reaches the
#     receiver over its old connection and the file arrives byte-identical;
#  5. a key that does not match the certificate is refused on SIGHUP and B is
#     still served; SIGTERM ends the server with status 0.
# usage: signal_reload.sh TALLOW
# shellcheck source=../e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
E2E_DEADLINE_S=110
e2e_init "$1"
e2e_need openssl ss

d=$E2E_TMP/tls
mkdir -p "$d"
for n in A B; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=tallow-test-$n" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$d/$n.key" -out "$d/$n.crt" 2>/dev/null ||
        e2e_fail "openssl req failed"
done
cp "$d/A.crt" "$d/cert.pem"
cp "$d/A.key" "$d/key.pem"
cat >"$E2E_TMP/signal.conf" <<CONF
# written by signal_reload.sh
listen = 127.0.0.1:0
cert = $d/cert.pem
key  = $d/key.pem
max-group = 8
verbose = no
CONF

e2e_spawn sig - "$E2E_TALLOW" signal --config "$E2E_TMP/signal.conf"
_port() { grep -o 'listening on wss://127.0.0.1:[0-9]*' "$E2E_LOG/sig.err" 2>/dev/null | grep -o '[0-9]*$'; }
e2e_wait_until 10 _port >/dev/null || e2e_fail "signal server did not start (wss from the config file)"
port=$(_port)
url=wss://127.0.0.1:$port

# The subject a new TLS connection is served.
served_cn() {
    openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -subject 2>/dev/null | grep -o 'tallow-test-[AB]'
}
[[ $(served_cn) == tallow-test-A ]] || e2e_fail "server does not serve certificate A"

mkdir -p "$E2E_TMP/out"
e2e_spawn alice - "$E2E_TALLOW" receive --name alice --accept --out "$E2E_TMP/out" \
    --signal "$url" --ca "$d/A.crt" --json --timeout 90
# The receiver's established connection to the server: its local port.
alice_sport() {
    ss -Htnp state established "dport = :$port" 2>/dev/null |
        grep "pid=${E2E_PIDS[alice]}," | awk 'NR == 1 { sub(/.*:/, "", $3); print $3 }'
}
_alice_connected() { [[ -n $(alice_sport) ]]; }
e2e_wait_until 15 _alice_connected || e2e_fail "receiver did not connect"
sport=$(alice_sport)
e2e_log "receiver connected from port $sport"

# Certificate B, swapped in the way a renewal tool does (rename over).
cp "$d/B.crt" "$d/cert.new" && mv "$d/cert.new" "$d/cert.pem"
cp "$d/B.key" "$d/key.new" && mv "$d/key.new" "$d/key.pem"
kill -HUP "${E2E_PIDS[sig]}"
_reloaded() { grep -q 'SIGHUP: certificate reloaded' "$E2E_LOG/sig.err"; }
e2e_wait_until 10 _reloaded || e2e_fail "no reload after SIGHUP"
e2e_alive sig || e2e_fail "server died on SIGHUP"
[[ $(served_cn) == tallow-test-B ]] || e2e_fail "new connections do not get certificate B"
[[ $(alice_sport) == "$sport" ]] || e2e_fail "the receiver's connection did not survive the reload"

e2e_random_file "$E2E_TMP/src/data.bin" $((2 << 20))
# The sender verifies the new certificate (it trusts B only).
e2e_spawn send - "$E2E_TALLOW" send "$E2E_TMP/src/data.bin" --to alice --signal "$url" \
    --ca "$d/B.crt" --json --timeout 60
e2e_wait_all_exit 70 send alice
e2e_expect_rc send 0
e2e_assert_receive_ok alice "$E2E_TMP/out"
e2e_verify_received "$E2E_TMP/out" "$E2E_TMP/src/data.bin"
# The receiver never reconnected: it logged no reconnecting state.
if e2e_events alice 'select(.event=="peer" and .state=="reconnecting")' | grep . >/dev/null; then
    e2e_fail "the receiver reconnected"
fi

# A mismatched pair is refused; B stays.
cp "$d/A.key" "$d/key.pem"
kill -HUP "${E2E_PIDS[sig]}"
_refused() { grep -q 'SIGHUP: certificate not reloaded' "$E2E_LOG/sig.err"; }
e2e_wait_until 10 _refused || e2e_fail "mismatched key not reported"
[[ $(served_cn) == tallow-test-B ]] || e2e_fail "a failed reload changed the served certificate"

kill -TERM "${E2E_PIDS[sig]}"
e2e_wait_exit sig 10
e2e_expect_rc sig 0
e2e_pass
