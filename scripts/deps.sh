#!/usr/bin/env bash
# Installs the Debian 12 packages tallow needs to build, test and benchmark,
# when they are missing. Idempotent; uses sudo when not root.
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
      libnice-dev libusrsctp-dev libssl-dev libglib2.0-dev libwebsockets-dev
      libcjson-dev libhiredis-dev libcmocka-dev libuv1-dev libedit-dev
      coturn redis-server chromium nftables iproute2 iperf3 valgrind jq
      # install, man pages, completions, Debian packages, systemd unit checks
      scdoc dpkg-dev debhelper lintian fakeroot systemd man-db openssl strace
      bash-completion zsh fish
      # the join-code prompt test drives a real terminal
      tmux
      # hostile-peer tests: packet capture, CPU contention
      tcpdump stress-ng
      # terminal tests: keys and screen captures of `tallow send` (tmux)
      tmux)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
fi

# coturn and redis-server are started by the tests themselves on loopback;
# make sure the distribution's own instances are not holding their ports.
for svc in coturn redis-server; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done

# npm packages for the interop tests and benchmarks (playwright-core, ws,
# @noble/post-quantum, socket.io): installed from package-lock.json. Never
# downloads a browser: Debian's chromium is used.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$root/package.json" ] && [ ! -d "$root/node_modules" ]; then
  (cd "$root" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
