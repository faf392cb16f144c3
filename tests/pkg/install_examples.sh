#!/usr/bin/env bash
# cmake --install into a staging prefix, then builds examples/ against it the
# way an embedder does: once with pkg-config only (examples/Makefile), once
# with find_package(tallow CONFIG) (examples/CMakeLists.txt). Runs the
# data-channel example, then the example group sender to two example
# receivers (one of each build): both receive every file byte-identical.
# Also checks what the install put where (GNUInstallDirs layout).
#
# usage: install_examples.sh TALLOW BUILD_DIR SOURCE_DIR
# shellcheck source=../e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
E2E_DEADLINE_S=200
e2e_init "$1"
build=$2 srcdir=$3
e2e_need pkg-config make cmake cc

stage=$E2E_TMP/stage
cmake --install "$build" --prefix "$stage" >"$E2E_LOG/install.out" 2>&1 ||
    e2e_fail "cmake --install failed: $(tail -5 "$E2E_LOG/install.out")"
pc=$(find "$stage" -path '*/pkgconfig/tallow.pc' -print -quit)
[[ -n $pc ]] || e2e_fail "no tallow.pc installed"
libdir=${pc#"$stage"/}
libdir=${libdir%/pkgconfig/tallow.pc}
for f in bin/tallow "$libdir/libtallow.so.0" "$libdir/libtallow.so" "$libdir/libtallow.a" \
    "$libdir/pkgconfig/tallow.pc" "$libdir/cmake/tallow/tallowConfig.cmake" \
    include/tallow/group.h include/tallow/rtc.h include/tallow/version.h \
    share/man/man1/tallow.1 share/man/man1/tallow-send.1 share/man/man1/tallow-receive.1 \
    share/man/man1/tallow-signal.1 share/man/man1/tallow-bench.1 \
    share/bash-completion/completions/tallow share/zsh/vendor-completions/_tallow \
    share/fish/vendor_completions.d/tallow.fish lib/systemd/system/tallow-signal.service \
    etc/tallow/signal.conf share/doc/tallow/README.md share/doc/tallow/CLI.md; do
    [[ -e $stage/$f ]] || e2e_fail "not installed: $f"
done
# Nothing outside the prefix (an absolute DESTINATION would escape it).
grep -q "Installing: /" "$E2E_LOG/install.out" || e2e_fail "cmake --install printed nothing"
if grep "Installing: " "$E2E_LOG/install.out" | grep -v "Installing: $stage/" >&2; then
    e2e_fail "cmake --install wrote outside the prefix"
fi
[[ $(readlink "$stage/$libdir/libtallow.so.0") == libtallow.so.0.* ]] || e2e_fail "SONAME link"
ver=$("$stage/bin/tallow" --version)
[[ $ver == "tallow $(sed -n 's/^Version: //p' "$stage/$libdir/pkgconfig/tallow.pc")" ]] ||
    e2e_fail "tallow --version says '$ver'"

# 1. pkg-config only (in a copy: nothing is written into the source tree).
cp -r "$srcdir/examples" "$E2E_TMP/ex-pc"
PKG_CONFIG_PATH=$stage/$libdir/pkgconfig make -C "$E2E_TMP/ex-pc" CFLAGS="-O2 -Wall -Wextra -Werror" \
    >"$E2E_LOG/make.out" 2>&1 || e2e_fail "pkg-config build failed: $(tail -20 "$E2E_LOG/make.out")"
# 2. find_package(tallow CONFIG).
cp -r "$srcdir/examples" "$E2E_TMP/ex-cm"
{ cmake -S "$E2E_TMP/ex-cm" -B "$E2E_TMP/ex-cm/build" -DCMAKE_PREFIX_PATH="$stage" &&
    cmake --build "$E2E_TMP/ex-cm/build"; } >"$E2E_LOG/cmake.out" 2>&1 ||
    e2e_fail "find_package build failed: $(tail -20 "$E2E_LOG/cmake.out")"

export LD_LIBRARY_PATH=$stage/$libdir
# Both builds link the shared library from the stage, not the static one.
for b in "$E2E_TMP/ex-pc/group_send" "$E2E_TMP/ex-cm/build/group_recv"; do
    ldd "$b" | grep "libtallow.so.0 => $stage/" >/dev/null || e2e_fail "$b does not use $stage's libtallow.so.0"
done

e2e_spawn dc - "$E2E_TMP/ex-pc/dc_echo"
e2e_wait_exit dc 30
e2e_expect_rc dc 0
grep -q "^echo: hello over WebRTC$" "$E2E_LOG/dc.jsonl" || e2e_fail "dc_echo: no echo"

e2e_random_file "$E2E_TMP/src/a.bin" $((3 << 20))
e2e_random_file "$E2E_TMP/src/b.bin" 12345
e2e_spawn send - "$E2E_TMP/ex-pc/group_send" 2 "$E2E_TMP/src/a.bin" "$E2E_TMP/src/b.bin"
_code() { grep -m1 -o '^code .*' "$E2E_LOG/send.jsonl" 2>/dev/null | cut -d' ' -f2; }
e2e_wait_until 20 _code || e2e_fail "group_send printed no code"
code=$(_code)
mkdir -p "$E2E_TMP/out/r1" "$E2E_TMP/out/r2"
e2e_spawn r1 - "$E2E_TMP/ex-pc/group_recv" "$code" "$E2E_TMP/out/r1"
e2e_spawn r2 - "$E2E_TMP/ex-cm/build/group_recv" "$code" "$E2E_TMP/out/r2"
e2e_wait_all_exit 90 r1 r2 send
for p in send r1 r2; do e2e_expect_rc "$p" 0; done
for r in r1 r2; do
    e2e_verify_received "$E2E_TMP/out/$r" "$E2E_TMP/src/a.bin" "$E2E_TMP/src/b.bin"
    [[ $(grep -c '^file ' "$E2E_LOG/$r.jsonl") -eq 2 ]] || e2e_fail "$r: not two file lines"
done
[[ $(grep -c '^result .* ok ' "$E2E_LOG/send.jsonl") -eq 2 ]] || e2e_fail "sender: not two ok results"
grep -q '^progress ' "$E2E_LOG/send.jsonl" || e2e_fail "sender printed no progress"
e2e_pass
