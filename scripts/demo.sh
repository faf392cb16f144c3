#!/usr/bin/env bash
# The main job: installs dependencies, builds tallow, and runs a real transfer
# on this machine. Until the group transfer lands this is a data-channel
# transfer between two peers on loopback (tallow bench dc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/deps.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTALLOW_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"
./build/tallow bench dc --size $((256 * 1024 * 1024))
