#!/usr/bin/env bash
# Runs every test: installs dependencies, then builds twice (normal with
# -Werror, and with ASan+UBSan) and runs the whole CTest suite in both, then
# builds the libFuzzer targets with clang and runs each for a fixed number of
# iterations over its committed corpus.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/deps.sh"

jobs=$(nproc)
FUZZ_RUNS=${FUZZ_RUNS:-20000}

build_and_test() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DTALLOW_WERROR=ON "$@"
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "${CTEST_JOBS:-1}")
}

echo "== build 1/3: normal, -Werror"
build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo

echo "== build 2/3: AddressSanitizer + UndefinedBehaviorSanitizer"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DTALLOW_SANITIZE=ON

echo "== build 3/3: libFuzzer targets"
CC=clang cmake -S . -B build-fuzz -DTALLOW_FUZZ=ON -DTALLOW_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-fuzz -j "$jobs"
shopt -s nullglob
for f in build-fuzz/fuzzers/*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="fuzz/corpus/$name"
  mkdir -p "build-fuzz/corpus-$name"
  echo "-- fuzz $name ($FUZZ_RUNS runs)"
  args=("build-fuzz/corpus-$name")
  [ -d "$corpus" ] && args+=("$corpus")
  "$f" -runs="$FUZZ_RUNS" -max_len=65536 "${args[@]}"
done
echo "== all tests passed"
