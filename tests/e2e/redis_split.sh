#!/usr/bin/env bash
# Scale-out as a user runs it: one redis-server, two `tallow signal --redis`
# processes; the sender uses server 1, two receivers use server 2 (its code is
# given with --signal), the third uses server 1. Every file arrives
# byte-identical (SHA-256) and the sender has three ok results. Then server 2
# is killed (SIGKILL) and a fourth receiver joins the still-running group
# through server 1 alone, with the same code, and verifies too.
#
# usage: redis_split.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-8}
e2e_init "$1"
e2e_need redis-server ss

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/data.bin" $((size_mib << 20))

_e2e_listening() { [[ -n $(ss -H -ltn "sport = :$1" 2>/dev/null) ]]; }
# redis-server has no "any free port": pick one, retry if it was taken.
for _ in 1 2 3; do
    rport=$(e2e_free_port tcp)
    e2e_spawn redis - redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no
    e2e_wait_until 10 _e2e_listening "$rport" && break
    e2e_alive redis && e2e_fail "redis-server did not start"
    e2e_reap redis
done
e2e_alive redis || e2e_fail "redis-server did not start"
# The signal servers bind port 0 and print the port they got.
_e2e_sig_port() { grep -o 'listening on ws://127.0.0.1:[0-9]*' "$E2E_LOG/$1.err" 2>/dev/null | grep -o '[0-9]*$'; }
for s in s1 s2; do
    e2e_spawn "$s" - "$E2E_TALLOW" signal --listen 127.0.0.1:0 --redis "redis://127.0.0.1:$rport"
done
e2e_wait_until 10 _e2e_sig_port s1 || e2e_fail "signal server 1 did not start"
e2e_wait_until 10 _e2e_sig_port s2 || e2e_fail "signal server 2 did not start"
p1=$(_e2e_sig_port s1)
p2=$(_e2e_sig_port s2)
e2e_log "redis :$rport, signal servers :$p1 :$p2"

e2e_start_send send - "$src/data.bin" --signal "ws://127.0.0.1:$p1" --expect 4 --timeout 120
code=$E2E_CODE
e2e_start_receive r1 - "$code" "$out/r1" --signal "ws://127.0.0.1:$p2" --timeout 90
e2e_start_receive r2 - "$code" "$out/r2" --signal "ws://127.0.0.1:$p2" --timeout 90
e2e_start_receive r3 - "$code" "$out/r3" --timeout 90
e2e_wait_all_exit 100 r1 r2 r3
for r in r1 r2 r3; do
    e2e_assert_receive_ok "$r" "$out/$r"
    e2e_verify_received "$out/$r" "$src/data.bin"
done

e2e_kill9 s2
e2e_start_receive r4 - "$code" "$out/r4" --signal "ws://127.0.0.1:$p1" --timeout 60
e2e_wait_all_exit 70 r4 send
e2e_assert_receive_ok r4 "$out/r4"
e2e_verify_received "$out/r4" "$src/data.bin"
e2e_expect_rc send 0
e2e_assert_json_only send
[[ $(e2e_count_send_results send true) -eq 4 ]] || e2e_fail "sender results: $(e2e_send_results send)"
e2e_pass
