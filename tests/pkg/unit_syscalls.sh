#!/usr/bin/env bash
# The system calls `tallow signal` makes while it serves (start from the
# config file, wss connections, a certificate reload on SIGHUP, shutdown on
# SIGTERM), recorded with strace, are all allowed by the SystemCallFilter= of
# tallow-signal.service (@system-service minus @privileged and @resources).
# A stand-in for starting the unit under systemd, which needs systemd as
# PID 1 (not the case on the CI containers): a call the filter refuses would
# get EPERM there (SystemCallErrorNumber=EPERM).
# usage: unit_syscalls.sh TALLOW BINARY_DIR
set -euo pipefail
tallow=$(readlink -f "$1") bin=$(readlink -f "$2")
for c in strace systemd-analyze openssl; do
    command -v "$c" >/dev/null || { echo "SKIP: no $c"; exit 77; }
done
tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Expand a systemd syscall group (nested groups included) to syscall names.
expand() {
    systemd-analyze syscall-filter "$1" | sed -n 's/^    //p' | grep -v '^#' | while read -r s; do
        case $s in
        @*) expand "$s" ;;
        *) echo "$s" ;;
        esac
    done
}
unit=$bin/tallow-signal.service
grep -qx 'SystemCallFilter=@system-service' "$unit" && grep -qx 'SystemCallFilter=~@privileged @resources' "$unit" || {
    echo "FAIL: the unit's SystemCallFilter changed; update this test"
    exit 1
}
expand @system-service | sort -u >"$tmp/allow"
{ expand @privileged; expand @resources; } | sort -u >"$tmp/deny"
comm -23 "$tmp/allow" "$tmp/deny" >"$tmp/allowed"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=t \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
printf 'listen = 127.0.0.1:0\ncert = %s\nkey = %s\n' "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/signal.conf"
strace -f -qq -o "$tmp/trace" "$tallow" signal --config "$tmp/signal.conf" 2>"$tmp/err" &
pid=$!
wait_for() { # SECONDS PATTERN
    local end=$((SECONDS + $1))
    until grep -q "$2" "$tmp/err"; do
        [ $SECONDS -lt $end ] || { echo "FAIL: no '$2' from the server:"; cat "$tmp/err"; exit 1; }
        sleep 0.1
    done
}
wait_for 20 'listening on wss://'
srv=$(ps --ppid "$pid" -o pid= | tr -d ' ') # tallow, the child of strace
[ -n "$srv" ] || { echo "FAIL: no server process under strace"; exit 1; }
port=$(grep -o 'wss://127.0.0.1:[0-9]*' "$tmp/err" | grep -o '[0-9]*$')
for _ in 1 2; do
    openssl s_client -connect "127.0.0.1:$port" </dev/null >/dev/null 2>&1 || true
done
kill -HUP "$srv"
wait_for 10 'certificate reloaded'
openssl s_client -connect "127.0.0.1:$port" </dev/null >/dev/null 2>&1 || true
kill -TERM "$srv"
wait "$pid" || { echo "FAIL: server exit status $?"; exit 1; }
pid=
# "PID name(" lines, resumed calls excluded.
sed -n 's/^[0-9]\+ \+\([a-z_0-9]\+\)(.*/\1/p' "$tmp/trace" | sort -u >"$tmp/used"
[ "$(wc -l <"$tmp/used")" -gt 20 ] || { echo "FAIL: strace recorded almost nothing"; exit 1; }
refused=$(comm -23 "$tmp/used" "$tmp/allowed")
if [ -n "$refused" ]; then
    echo "FAIL: system calls the unit's filter refuses: $refused"
    exit 1
fi
echo "ok: $(wc -l <"$tmp/used") distinct system calls, all allowed by the unit's filter"
