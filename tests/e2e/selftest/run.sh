#!/usr/bin/env bash
# Runs the e2e scripts against fake-tallow (TCP, no WebRTC) to test the
# harness itself, plus the coturn smoke test. Not registered with CTest: the
# real suite runs the real binary. relay_only.sh is left out: the fake relays
# nothing, so coturn's ALLOCATE check fails by design.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fake=$here/fake-tallow
pass=0 fail=0
run()
{
    local log
    log=$(mktemp)
    if timeout 300 bash "$@" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "ok   $*"
    else
        fail=$((fail + 1))
        echo "FAIL $*"
        grep -a -e 'FAIL' -e 'error:' "$log" | head -n 5
        grep -a -v '^{' "$log" | tail -n 8
    fi
    rm -f "$log"
}
cd "$here/.." || exit 1
run selftest/turn_smoke.sh
run fanout.sh "$fake" 3 16
run fanout.sh "$fake" 3 8 netns
run loss.sh "$fake" 3 4
run kill_recipient.sh "$fake" 128
run kill_sender.sh "$fake" 128
run tamper.sh "$fake" 4
run wrong_code.sh "$fake" 4
run hostile_names.sh "$fake" dotdot
run hostile_names.sh "$fake" abs
run hostile_names.sh "$fake" ctrl
run full_disk.sh "$fake" 32
run vanished_source.sh "$fake" 64
echo "$pass passed, $fail failed"
((fail == 0))
