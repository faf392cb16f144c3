#!/usr/bin/env bash
# IPv6 endpoints through the one URL parser (src/common/uri.c): a real
# redis-server listening on ::1 only, `tallow signal --listen [::1]:0 --redis
# redis://[::1]:PORT` (before, this ended "cannot start: I/O error"), then a
# sender and a receiver through that server by ws://[::1]:PORT; the file
# arrives byte-identical (SHA-256). A second server given the same Redis with
# the password percent-encoded (redis://:p%40ss@[::1]:PORT, the password is
# "p@ss") starts too, and one given an unencoded '@' is refused with a usage
# error (exit 2) instead of a guessed split.
#
# usage: redis_ipv6.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-4}
e2e_init "$1"
e2e_need redis-server ss
[[ -n $(ip -6 addr show dev lo 2>/dev/null | grep '::1/128') ]] || e2e_skip "no ::1 on lo"

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/data.bin" $((size_mib << 20))

_e2e_listening6() { [[ -n $(ss -H -ltn "src [::1]:$1" 2>/dev/null) ]]; }
for _ in 1 2 3; do
    rport=$(e2e_free_port tcp)
    e2e_spawn redis - redis-server --port "$rport" --bind ::1 --requirepass 'p@ss' \
        --save "" --appendonly no
    e2e_wait_until 10 _e2e_listening6 "$rport" && break
    e2e_alive redis && e2e_fail "redis-server did not start"
    e2e_reap redis
done
e2e_alive redis || e2e_fail "redis-server did not start on ::1"
[[ -z $(ss -H -ltn "src 127.0.0.1:$rport" 2>/dev/null) ]] || e2e_fail "redis also on IPv4"

_e2e_sig_port() { grep -o 'listening on ws://\[::1\]:[0-9]*' "$E2E_LOG/$1.err" 2>/dev/null | grep -o '[0-9]*$'; }
e2e_spawn s1 - "$E2E_TALLOW" signal --listen '[::1]:0' --redis "redis://:p%40ss@[::1]:$rport"
e2e_wait_until 10 _e2e_sig_port s1 || {
    e2e_alive s1 || e2e_fail "signal with redis://[::1]:$rport did not start: $(cat "$E2E_LOG/s1.err")"
    e2e_fail "signal server did not print its [::1] address"
}
p1=$(_e2e_sig_port s1)
e2e_log "redis [::1]:$rport, signal server [::1]:$p1"

# The unencoded password is refused as a usage error, before any connect.
"$E2E_TALLOW" signal --listen '[::1]:0' --redis "redis://:p@ss@[::1]:$rport" \
    >"$E2E_LOG/bad.out" 2>"$E2E_LOG/bad.err" && e2e_fail "unencoded '@' accepted"
rc=$?
[[ $rc -eq 2 ]] || e2e_fail "unencoded '@': exit $rc, want 2: $(cat "$E2E_LOG/bad.err")"

e2e_start_send send - "$src/data.bin" --signal "ws://[::1]:$p1" --expect 1 --timeout 60
code=$E2E_CODE
e2e_start_receive r1 - "$code" "$out/r1" --signal "ws://[::1]:$p1" --timeout 50
e2e_wait_all_exit 60 r1 send
e2e_assert_receive_ok r1 "$out/r1"
e2e_verify_received "$out/r1" "$src/data.bin"
e2e_expect_rc send 0
e2e_pass
