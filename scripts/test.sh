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

# The tests must leave the work tree as they found it: everything they write
# goes to the build trees or to temporary directories (.gitignore covers the
# build trees). Compared before and after every stage.
tree_state() { git -C "$root" status --porcelain=v1 --untracked-files=all 2>/dev/null || true; }
tree_before=$(tree_state)
check_tree() {
  local now
  now=$(tree_state)
  if [ "$now" != "$tree_before" ]; then
    echo "test.sh: $1 left the work tree dirty:" >&2
    diff <(echo "$tree_before") <(echo "$now") >&2 || true
    exit 1
  fi
}

# Tests are enabled explicitly: a build tree configured with -DTALLOW_TESTS=OFF
# (scripts/demo.sh) is reconfigured, and ctest fails when it finds no test.
build_and_test() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DTALLOW_WERROR=ON -DTALLOW_TESTS=ON -DBUILD_TESTING=ON -DTALLOW_E2E=ON "$@"
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure --no-tests=error -j "${CTEST_JOBS:-1}")
  check_tree "the tests in $dir"
}

echo "== build 1/3: normal, -Werror"
build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo

echo "== packages: dpkg-buildpackage, lintian, apt-get install, transfer, purge"
# Its own build (in a temporary copy of the tree), after the tests of build 1
# so that nothing else competes for the two cores meanwhile.
deb_rc=0
"$root/scripts/deb-test.sh" || deb_rc=$?
if [ $deb_rc -eq 77 ]; then
  echo "-- packages: install test skipped (needs root; see the message above)"
elif [ $deb_rc -ne 0 ]; then
  echo "test.sh: the Debian package test failed" >&2
  exit 1
fi
check_tree "the Debian package test"

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
check_tree "the fuzzers"
echo "== all tests passed"
