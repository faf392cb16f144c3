#!/usr/bin/env bash
# Harness self-test: e2e_start_turn's coturn accepts long-term credentials and
# relays (turnutils_uclient, shipped with coturn, allocates and echoes through
# it), and the trap stops it. Not registered with CTest.
# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
e2e_init /bin/true # no tallow involved
e2e_need turnutils_uclient
e2e_start_turn
e2e_spawn uclient - turnutils_uclient -y -n 3 -m 1 -l 100 -u "$E2E_TURN_USER" \
    -w "$E2E_TURN_PASS" -r "$E2E_TURN_REALM" -p "$E2E_TURN_PORT" 127.0.0.1
e2e_wait_exit uclient 60
e2e_expect_rc uclient 0
grep -aq 'ALLOCATE processed, success' "$E2E_LOG/turnserver.log" || e2e_fail "no allocation"
grep -aq 'Total lost packets 0' "$E2E_LOG/uclient.err" "$E2E_LOG/uclient.jsonl" || e2e_fail "packets lost through the relay"
e2e_pass
