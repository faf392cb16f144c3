#!/usr/bin/env bash
# Verified TLS to a `tallow signal` wss server, and the client defaults
# (TALLOW_SIGNAL, $XDG_CONFIG_HOME/tallow/config), as a user runs them.
#
# The certificates are made here, with the openssl CLI, in the test's temp
# dir: a private CA; a server certificate it signs for localhost/127.0.0.1
# (subjectAltName); one it signs for another host name; and a self-signed
# certificate for localhost/127.0.0.1.
#
# usage: tls.sh TALLOW wss|defaults
#   wss:      (a) self-signed refused without --ca: send and receive exit 3
#             and name the problem; (b) accepted with --ca: a real transfer,
#             SHA-256 verified; (c) a certificate for another host name is
#             refused even with --ca trusting its CA; (d) --insecure connects
#             (a real transfer) and warns.
#   defaults: a send and a receive that get the signaling URL and the CA only
#             from the config file complete and verify; flag > TALLOW_SIGNAL
#             > file, seen in the location of the join code the sender
#             prints; a malformed file or a bad value is exit 2 naming the
#             file and line; a TURN password in a world-readable file warns.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mode=${2:-wss}
E2E_VARIANT=$mode
e2e_init "$1"
e2e_need openssl ss

pki=$E2E_TMP/pki
mkdir -p "$pki"
_ossl() { openssl "$@" 2>>"$E2E_LOG/openssl.err" || e2e_fail "openssl $1 failed"; }
_ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
# The private CA.
_ossl req -x509 "${_ec[@]}" -days 2 -subj "/CN=tallow e2e CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$pki/ca.key" -out "$pki/ca.pem"
# _leaf NAME CN SAN: a server certificate signed by the CA.
_leaf()
{
    _ossl req "${_ec[@]}" -subj "/CN=$2" -keyout "$pki/$1.key" -out "$pki/$1.csr"
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" \
        >"$pki/$1.ext"
    _ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem"
}
_leaf good localhost "DNS:localhost,IP:127.0.0.1"
_leaf wrong wrong.example "DNS:wrong.example"
_ossl req -x509 "${_ec[@]}" -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$pki/self.key" -out "$pki/self.pem"

# e2e_start_signal NAME ARGS...: `tallow signal --listen 127.0.0.1:0 ARGS...`;
# sets SIG_PORT to the port it printed ("listening on ws[s]://HOST:PORT").
_sig_port() { grep -o 'listening on wss*://127.0.0.1:[0-9]*' "$E2E_LOG/$1.err" 2>/dev/null | grep -o '[0-9]*$'; }
_sig_up()
{
    e2e_alive "$1" || e2e_fail "signal server $1 exited during start-up"
    _sig_port "$1" >/dev/null
}
start_signal()
{
    local name=$1
    shift
    e2e_spawn "$name" - "$E2E_TALLOW" signal --listen 127.0.0.1:0 "$@"
    e2e_wait_until 10 _sig_up "$name" || e2e_fail "signal server $name did not start"
    SIG_PORT=$(_sig_port "$name")
}

src=$E2E_TMP/src/data.bin
out=$E2E_TMP/out
e2e_random_file "$src" $((2 << 20))

# refused NAME WHAT: NAME exited 3 and said WHAT (the certificate problem) on
# stderr, without ever registering (no code, no transfer).
refused()
{
    local name=$1 what=$2
    e2e_wait_exit "$name" 20
    e2e_expect_rc "$name" 3
    grep -q "tallow: certificate verify failed: $what" "$E2E_LOG/$name.err" ||
        e2e_fail "$name: stderr does not name the certificate problem '$what'"
    [[ -z $(e2e_events "$name" 'select(.event=="code") | .code') ]] ||
        e2e_fail "$name printed a join code through a refused server"
    e2e_log "$name refused: $(grep -o 'certificate verify failed: .*' "$E2E_LOG/$name.err" | head -n 1)"
}

# transfer TAG SEND_ARGS -- RECV_ARGS: a send and one receive of $src with
# those arguments, verified by SHA-256 (the receive gets the sender's code,
# or the code without its location when RECV_ARGS starts with --no-location).
transfer()
{
    local tag=$1 code
    shift
    local -a sargs=() rargs=()
    while [[ $1 != -- ]]; do
        sargs+=("$1")
        shift
    done
    shift
    rargs=("$@")
    e2e_start_send "send-$tag" - "$src" --timeout 60 "${sargs[@]}"
    code=$E2E_CODE
    if [[ ${rargs[0]:-} == --no-location ]]; then
        code=${code%%@*}
        rargs=("${rargs[@]:1}")
    fi
    e2e_start_receive "recv-$tag" - "$code" "$out/$tag" --timeout 60 "${rargs[@]}"
    e2e_wait_all_exit 70 "recv-$tag" "send-$tag"
    e2e_assert_receive_ok "recv-$tag" "$out/$tag"
    e2e_verify_received "$out/$tag" "$src"
    e2e_assert_send_ok "send-$tag" 1
}

if [[ $mode == wss ]]; then
    start_signal sig-self --cert "$pki/self.pem" --key "$pki/self.key"
    p_self=$SIG_PORT
    start_signal sig-wrong --cert "$pki/wrong.pem" --key "$pki/wrong.key"
    p_wrong=$SIG_PORT
    start_signal sig-good --cert "$pki/good.pem" --key "$pki/good.key"
    p_good=$SIG_PORT

    # (a) Self-signed, no --ca: only the system store is trusted.
    e2e_spawn a-send - "$E2E_TALLOW" send "$src" --signal "wss://localhost:$p_self"
    e2e_spawn a-recv - "$E2E_TALLOW" receive --name bob --signal "wss://localhost:$p_self"
    refused a-send "self-signed certificate"
    refused a-recv "self-signed certificate"
    # ... and a certificate from a CA that is not trusted.
    e2e_spawn a-ca - "$E2E_TALLOW" send "$src" --signal "wss://localhost:$p_good"
    refused a-ca "unable to get local issuer certificate"
    # A receive that gets the wss location from the code is checked too.
    e2e_start_send a-code - "$src" --signal "wss://localhost:$p_self" --ca "$pki/self.pem" \
        --timeout 60
    mkdir -p "$out/a-code"
    e2e_spawn a-code-recv - "$E2E_TALLOW" receive "$E2E_CODE" --out "$out/a-code"
    refused a-code-recv "self-signed certificate"
    e2e_kill9 a-code

    # (b) Trusted with --ca: the self-signed certificate itself, then the
    # private CA. Both ends dial localhost, which both certificates name.
    transfer self --signal "wss://localhost:$p_self" --ca "$pki/self.pem" -- --ca "$pki/self.pem"
    transfer ca --signal "wss://127.0.0.1:$p_good" --ca "$pki/ca.pem" -- --ca "$pki/ca.pem"

    # (c) Signed by the trusted CA, but for another name: refused.
    e2e_spawn c-dns - "$E2E_TALLOW" send "$src" --signal "wss://localhost:$p_wrong" \
        --ca "$pki/ca.pem"
    e2e_spawn c-ip - "$E2E_TALLOW" receive --name bob --signal "wss://127.0.0.1:$p_wrong" \
        --ca "$pki/ca.pem"
    refused c-dns "hostname mismatch"
    refused c-ip "IP address mismatch"

    # (d) --insecure: connects to the untrusted server, warns once.
    transfer insecure --signal "wss://localhost:$p_wrong" --insecure -- --insecure
    for n in send-insecure recv-insecure; do
        [[ $(grep -c 'warning: --insecure' "$E2E_LOG/$n.err") -eq 1 ]] ||
            e2e_fail "$n: no (or more than one) --insecure warning on stderr"
    done
    # Nothing was weakened for the others: the verified runs printed no warning.
    ! grep -q 'insecure' "$E2E_LOG/send-self.err" "$E2E_LOG/recv-ca.err" ||
        e2e_fail "a verified run printed the --insecure warning"
    e2e_pass
fi

[[ $mode == defaults ]] || e2e_fail "unknown mode '$mode' (wss or defaults)"
conf=$XDG_CONFIG_HOME/tallow/config
mkdir -p "${conf%/*}"
start_signal sig-good --cert "$pki/good.pem" --key "$pki/good.key"
p_good=$SIG_PORT

# The signaling URL and the CA only from the file (the CA path relative to
# the file's folder); the receive is given the code without its location.
cp "$pki/ca.pem" "${conf%/*}/ca.pem"
printf '# tallow client defaults\n[tallow]\nsignal = wss://localhost:%s\nca = ca.pem\n' \
    "$p_good" >"$conf"
chmod 600 "$conf"
transfer file -- --no-location
[[ $E2E_CODE == *"@wss://localhost:$p_good" ]] || e2e_fail "sender did not use the file's server"

# Precedence, seen in the location of the code: three plain servers.
start_signal sig-ws1
p_ws1=$SIG_PORT
start_signal sig-ws2
p_ws2=$SIG_PORT
start_signal sig-ws3
p_ws3=$SIG_PORT
printf '[tallow]\nsignal = ws://127.0.0.1:%s\n' "$p_ws1" >"$conf"
# code_location NAME [ENV...] [-- ARGS...]: starts a send with ENV and ARGS,
# reads the location of its code (LOCATION), stops it.
code_location()
{
    local name=$1
    shift
    local -a envs=()
    while [[ $# -gt 0 && $1 != -- ]]; do
        envs+=("$1")
        shift
    done
    [[ $# -gt 0 ]] && shift
    e2e_spawn "$name" - env "${envs[@]}" "$E2E_TALLOW" send "$src" --json "$@"
    e2e_read_code "$name"
    e2e_kill9 "$name"
    LOCATION=${E2E_CODE#*@}
    LOCATION=${LOCATION#ws://} # a code writes a plain ws location as HOST:PORT
}
code_location prec-file
[[ $LOCATION == "127.0.0.1:$p_ws1" ]] || e2e_fail "file only: code at $LOCATION"
code_location prec-env TALLOW_SIGNAL="ws://127.0.0.1:$p_ws2"
[[ $LOCATION == "127.0.0.1:$p_ws2" ]] || e2e_fail "env over file: code at $LOCATION"
code_location prec-flag TALLOW_SIGNAL="ws://127.0.0.1:$p_ws2" -- --signal "ws://127.0.0.1:$p_ws3"
[[ $LOCATION == "127.0.0.1:$p_ws3" ]] || e2e_fail "flag over env: code at $LOCATION"
# --listen asks for the embedded server: no default signaling server then.
code_location prec-listen -- --listen 127.0.0.1:0
[[ $LOCATION != "127.0.0.1:$p_ws1" ]] || e2e_fail "--listen used the file's server"

# A malformed file: exit 2, naming the file and the line; nothing started.
printf '[tallow]\nsignal = ws://127.0.0.1:%s\nthis line is not a key\n' "$p_ws1" >"$conf"
e2e_spawn bad-syntax - "$E2E_TALLOW" receive --name bob
e2e_wait_exit bad-syntax 10
e2e_expect_rc bad-syntax 2
grep -q "config file $conf:3: " "$E2E_LOG/bad-syntax.err" ||
    e2e_fail "the error does not name $conf:3"
# A bad value goes through the flag's own check (send --limit) and names its
# line; a TURN password in a file others can read is warned about.
printf '[tallow]\nturn-pass = hunter2\n\nlimit = 5x\n' >"$conf"
chmod 644 "$conf"
e2e_spawn bad-value - "$E2E_TALLOW" send "$src"
e2e_wait_exit bad-value 10
e2e_expect_rc bad-value 2
grep -q "config file $conf:4: invalid value for limit: '5x'" "$E2E_LOG/bad-value.err" ||
    e2e_fail "the error does not name $conf:4 and the limit"
grep -q "warning: $conf holds a TURN password and other users can read it" \
    "$E2E_LOG/bad-value.err" || e2e_fail "no warning about the readable TURN password"
! grep -q hunter2 "$E2E_LOG/bad-value.err" || e2e_fail "the TURN password was printed"
e2e_pass
