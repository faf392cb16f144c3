#!/usr/bin/env bash
# The tallow-signal unit generated in the build tree: systemd-analyze verify
# passes (with ExecStart pointing at this build's tallow and the build's man
# pages on MANPATH) and systemd-analyze security --offline rates it 2.0 or
# less. Neither needs a running systemd. (Starting it under systemd needs
# systemd as PID 1: see scripts/deb-test.sh and docs/ARCHITECTURE.md.)
# usage: systemd_unit.sh BINARY_DIR
set -euo pipefail
bin=$(readlink -f "$1")
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unit=$tmp/tallow-signal.service
sed "s#^ExecStart=[^ ]*#ExecStart=$bin/tallow#" "$bin/tallow-signal.service" >"$unit"
mkdir -p "$tmp/man/man1"
cp "$bin"/man/*.1 "$tmp/man/man1/"
if ! MANPATH=$tmp/man systemd-analyze verify "$unit" >"$tmp/verify.out" 2>&1 ||
    grep -q tallow "$tmp/verify.out"; then
    echo "FAIL: systemd-analyze verify:"
    cat "$tmp/verify.out"
    exit 1
fi
systemd-analyze security --offline=true "$bin/tallow-signal.service" >"$tmp/sec.out" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for tallow-signal.service: \([0-9.]*\).*/\1/p' "$tmp/sec.out")
if [ -z "$score" ]; then
    echo "FAIL: no exposure score:"
    cat "$tmp/sec.out"
    exit 1
fi
grep '✗' "$tmp/sec.out" || true
if ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    echo "FAIL: exposure level $score > 2.0"
    exit 1
fi
echo "ok: systemd-analyze verify clean, security --offline exposure $score"
