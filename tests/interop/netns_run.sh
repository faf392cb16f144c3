#!/usr/bin/env bash
# netns_run.sh CMD [ARGS...]
#
# Runs CMD inside a fresh network namespace and removes it afterwards.
#
# Chromium gathers no ICE candidates when only `lo` is up, so the namespace
# gets a veth pair with BOTH ends inside it: tl0 = 10.201.0.1/24 and
# tl1 = 10.201.0.2/24, plus a default route via 10.201.0.1. Nothing can leave
# the namespace (the pair has no end outside it).
#
# Cleanup runs on every exit path (normal exit, failure, SIGINT/SIGTERM from
# ctest's timeout): CMD is signalled by PID, then every process still inside
# the namespace (all of them descend from CMD, since the namespace is new) is
# TERMed and then KILLed by PID, then the namespace is deleted.
#
# Exit status: CMD's, or 77 (CTest "skipped") when namespaces cannot be
# created here (not root, no CAP_SYS_ADMIN) or chromium is missing.
set -uo pipefail

if [ "$#" -lt 1 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

ns="tlint-$$-${RANDOM}"
child=""

ns_pids() {
  ip netns pids "$ns" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
  fi
  if ip netns list 2>/dev/null | grep -qw "$ns"; then
    local pids i
    pids=$(ns_pids)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
      for i in $(seq 1 50); do
        pids=$(ns_pids)
        [ -z "$pids" ] && break
        # Waiting on a child's exit: a bounded poll, not a timing assumption.
        sleep 0.1
      done
      pids=$(ns_pids)
      if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
      fi
    fi
    ip netns del "$ns" 2>/dev/null || echo "netns_run: could not delete $ns" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

if [ "$(id -u)" != 0 ]; then
  echo "netns_run: SKIP: needs root (CAP_SYS_ADMIN) to create a network namespace" >&2
  exit 77
fi
if ! ip netns add "$ns"; then
  echo "netns_run: SKIP: cannot create network namespace $ns" >&2
  exit 77
fi

set -e
ip -n "$ns" link set lo up
ip -n "$ns" link add tl0 type veth peer name tl1
ip -n "$ns" addr add 10.201.0.1/24 dev tl0
ip -n "$ns" addr add 10.201.0.2/24 dev tl1
ip -n "$ns" link set tl0 up
ip -n "$ns" link set tl1 up
ip -n "$ns" route add default via 10.201.0.1
set +e

export TL_NETNS="$ns"
ip netns exec "$ns" "$@" &
child=$!
wait "$child"
rc=$?
child=""
exit "$rc"
