#!/usr/bin/env bash
# The main job: installs dependencies, builds tallow, and performs a real group
# transfer on this machine: `tallow send` (with its embedded signaling server)
# to three `tallow receive` processes, each over its own WebRTC peer
# connection with its own ML-KEM-768 + X25519 keys; then checks that every
# recipient's files are byte-identical to the source (SHA-256).
#   SIZE_MIB=256 ./scripts/demo.sh    (default 64)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/deps.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTALLOW_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
tallow="$root/build/tallow"

work=$(mktemp -d /tmp/tallow-demo.XXXXXX)
# The demo runs on this machine only: no client defaults from the user.
export XDG_CONFIG_HOME="$work/config"
unset TALLOW_SIGNAL
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

size_mib=${SIZE_MIB:-64}
mkdir -p "$work/src/photos/2026" "$work/out1" "$work/out2" "$work/out3"
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/src/video.bin"
for i in 1 2 3 4 5; do head -c $((i * 10000)) /dev/urandom > "$work/src/photos/2026/img$i.jpg"; done
echo "hello from tallow" > "$work/src/photos/readme.txt"

echo "== sending ${size_mib} MiB + a folder to 3 recipients"
"$tallow" send "$work/src/video.bin" "$work/src/photos" --expect 3 --json \
  > "$work/send.jsonl" 2> "$work/send.err" &
pids+=($!)
send_pid=$!
code=""
for _ in $(seq 1 300); do
  code=$(jq -r 'select(.event=="code") | .code' "$work/send.jsonl" 2>/dev/null | head -n 1)
  [ -n "$code" ] && break
  kill -0 "$send_pid" 2>/dev/null || { cat "$work/send.err"; exit 3; }
  sleep 0.1
done
[ -n "$code" ] || { echo "no join code"; exit 3; }
echo "   join code: $code"
start=$(date +%s.%N)
for i in 1 2 3; do
  "$tallow" receive "$code" --out "$work/out$i" --json > "$work/recv$i.jsonl" 2> "$work/recv$i.err" &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
pids=()
end=$(date +%s.%N)

jq -r 'select(.event=="sender") | "   group fingerprint (sender): \(.fingerprint)"' "$work/send.jsonl"
for i in 1 2 3; do
  jq -r --arg i "$i" 'select(.event=="result") | "   recipient \($i) verified the sender: \(.sender)"' "$work/recv$i.jsonl"
done
jq -r 'select(.event=="result") | "   recipient \(.peer): \(if .ok then "verified" else "FAILED: " + .error end)"' "$work/send.jsonl"
(cd "$work/src" && find . -type f -exec sha256sum {} + | sort -k2) > "$work/want.sha"
for i in 1 2 3; do
  (cd "$work/out$i" && find . -type f -exec sha256sum {} + | sort -k2) > "$work/got$i.sha"
  if cmp -s "$work/want.sha" "$work/got$i.sha"; then
    echo "   recipient $i: $(wc -l < "$work/got$i.sha") files byte-identical (SHA-256)"
  else
    echo "   recipient $i: files differ"; status=1
  fi
done
awk -v s="$start" -v e="$end" -v n=3 -v m="$size_mib" \
  'BEGIN { t = e - s; printf "   %.1f s, aggregate %.1f MB/s\n", t, n * m * 1.048576 / t }'
[ "$status" -eq 0 ] && echo "== group transfer verified" || echo "== group transfer FAILED"
exit "$status"
