#!/usr/bin/env bash
# Installs the Debian packages built by scripts/deb-test.sh on this machine
# (apt-get install ./*.deb), checks what a user gets, runs a real group
# transfer with the installed /usr/bin/tallow through the packaged signaling
# server, then purges the packages and checks nothing is left. The packages
# are purged on every exit path, failure included.
#
# systemd is not PID 1 on the machines this runs on (containers), so the
# service is not started by systemd here. What is checked instead:
# systemd-analyze verify and security --offline on the installed unit, the
# enablement symlink, and the unit's ExecStart line run by hand as an
# unprivileged user (nobody) with the packaged configuration file.
#
# usage: deb_install.sh DEB_DIR
# shellcheck source=../e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
E2E_DEADLINE_S=280
debdir=$(readlink -f "$1")
pkgs=(tallow libtallow0 libtallow-dev tallow-signal)
e2e_init /bin/true # the tallow under test is installed below
e2e_need_root
e2e_need apt-get dpkg-query systemd-analyze setpriv man pkg-config make cmake cc ss
for p in "${pkgs[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null; then
        e2e_skip "$p is already installed on this machine; not touching it"
    fi
done

installed=0
purge() {
    [[ $installed -eq 1 ]] || return 0
    DEBIAN_FRONTEND=noninteractive apt-get purge -y "${pkgs[@]}" >"$E2E_TMP/purge.out" 2>&1
    local rc=$?
    installed=0
    return $rc
}
_on_exit() {
    local rc=$? name
    trap - ERR
    # Our processes run the installed binary: stop them before purging.
    for name in "${!E2E_PIDS[@]}"; do
        [[ -n ${E2E_RC[$name]:-} ]] && continue
        kill -KILL "${E2E_PIDS[$name]}" 2>/dev/null
        wait "${E2E_PIDS[$name]}" 2>/dev/null
        E2E_RC[$name]=killed
    done
    purge || echo "deb_install: apt-get purge failed: $(tail -5 "$E2E_TMP/purge.out")" >&2
    (exit $rc)
    e2e_cleanup
}
trap _on_exit EXIT

debs=()
for p in "${pkgs[@]}"; do
    f=("$debdir/${p}_"*.deb)
    [[ -f ${f[0]} ]] || e2e_fail "no ${p}_*.deb in $debdir"
    debs+=("${f[0]}")
done
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${debs[@]}" \
    >"$E2E_LOG/install.out" 2>&1 || e2e_fail "apt-get install failed: $(tail -20 "$E2E_LOG/install.out")"
e2e_log "installed ${debs[*]##*/}"
E2E_TALLOW=/usr/bin/tallow
dpkg -L "${pkgs[@]}" | sort -u >"$E2E_TMP/files"

# The CLI, its man pages and completions.
version=$(dpkg-query -W -f='${Version}' tallow)
[[ $(/usr/bin/tallow --version) == "tallow ${version%%-*}" ]] || e2e_fail "tallow --version: $(/usr/bin/tallow --version)"
for page in tallow tallow-send tallow-receive tallow-signal tallow-bench; do
    man -w "$page" >/dev/null 2>&1 || e2e_fail "man $page: not found"
done
man tallow-signal 2>/dev/null | grep "CONFIGURATION" >/dev/null || e2e_fail "man tallow-signal does not render"
cmp -s <(/usr/bin/tallow help send) <(/usr/bin/tallow send --help) || e2e_fail "tallow help send"
complete_out=$(bash -c 'source /usr/share/bash-completion/bash_completion
    _completion_loader tallow; COMP_WORDS=(tallow send --expe); COMP_CWORD=2
    COMP_LINE="tallow send --expe"; COMP_POINT=${#COMP_LINE}
    _tallow tallow --expe send; printf "%s\n" "${COMPREPLY[@]}"' 2>&1)
[[ $complete_out == --expect ]] || e2e_fail "bash completion (loaded on demand): '$complete_out'"
[[ -f /usr/share/zsh/vendor-completions/_tallow && -f /usr/share/fish/vendor_completions.d/tallow.fish ]] ||
    e2e_fail "zsh/fish completions missing"

# libtallow-dev: the examples build with pkg-config only and with find_package.
[[ $(pkg-config --modversion tallow) == "${version%%-*}" ]] || e2e_fail "pkg-config --modversion tallow"
cp -r /usr/share/doc/libtallow-dev/examples "$E2E_TMP/ex"
make -C "$E2E_TMP/ex" >"$E2E_LOG/make.out" 2>&1 || e2e_fail "examples (pkg-config): $(tail -20 "$E2E_LOG/make.out")"
ldd "$E2E_TMP/ex/dc_echo" | grep 'libtallow.so.0 => /lib/\|libtallow.so.0 => /usr/lib/' >/dev/null ||
    e2e_fail "dc_echo does not use the installed libtallow.so.0"
{ cmake -S "$E2E_TMP/ex" -B "$E2E_TMP/ex-cm" && cmake --build "$E2E_TMP/ex-cm"; } >"$E2E_LOG/cmake.out" 2>&1 ||
    e2e_fail "examples (find_package): $(tail -20 "$E2E_LOG/cmake.out")"
e2e_spawn dc - "$E2E_TMP/ex-cm/dc_echo"
e2e_wait_exit dc 30
e2e_expect_rc dc 0

# tallow-signal: the unit as installed.
unit=/lib/systemd/system/tallow-signal.service
[[ -f $unit && -f /etc/tallow/signal.conf ]] || e2e_fail "unit or configuration missing"
grep -qx /etc/tallow/signal.conf <(dpkg-query -W -f='${Conffiles}\n' tallow-signal | awk '{print $1}') ||
    e2e_fail "/etc/tallow/signal.conf is not a conffile"
[[ -L /etc/systemd/system/multi-user.target.wants/tallow-signal.service ]] || e2e_fail "unit not enabled"
systemd-analyze verify "$unit" >"$E2E_LOG/verify.out" 2>&1 || e2e_fail "systemd-analyze verify: $(cat "$E2E_LOG/verify.out")"
if grep -q tallow "$E2E_LOG/verify.out"; then e2e_fail "systemd-analyze verify: $(cat "$E2E_LOG/verify.out")"; fi
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
    sed -n 's/.*Overall exposure level for tallow-signal.service: \([0-9.]*\).*/\1/p')
[[ -n $score ]] || e2e_fail "systemd-analyze security printed no score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || e2e_fail "exposure $score > 2.0"
e2e_log "systemd-analyze security --offline: $score"

# The unit's ExecStart, by hand, as nobody (DynamicUser stand-in), with the
# packaged configuration; only the port is overridden (7788 may be taken).
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
[[ ${exec_start[0]} == /usr/bin/tallow ]] || e2e_fail "ExecStart: ${exec_start[*]}"
e2e_spawn sig - setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
    "${exec_start[@]}" --listen 127.0.0.1:0
_port() { grep -o 'listening on ws://127.0.0.1:[0-9]*' "$E2E_LOG/sig.err" 2>/dev/null | grep -o '[0-9]*$'; }
e2e_wait_until 10 _port >/dev/null || e2e_fail "packaged signal server did not start"
port=$(_port)
[[ $(ps -o user= -p "${E2E_PIDS[sig]}") == nobody ]] || e2e_fail "server not running as nobody"

# A real group transfer with the installed binary through that server.
e2e_random_file "$E2E_TMP/src/big.bin" $((8 << 20))
e2e_random_tree "$E2E_TMP/src/tree"
e2e_start_send send - "$E2E_TMP/src/big.bin" "$E2E_TMP/src/tree" --signal "ws://127.0.0.1:$port" \
    --expect 2 --timeout 90
e2e_start_receive r1 - "$E2E_CODE" "$E2E_TMP/out/r1" --timeout 80
e2e_start_receive r2 - "$E2E_CODE" "$E2E_TMP/out/r2" --timeout 80
e2e_wait_all_exit 100 r1 r2 send
for r in r1 r2; do
    e2e_assert_receive_ok "$r" "$E2E_TMP/out/$r"
    e2e_verify_received "$E2E_TMP/out/$r" "$E2E_TMP/src/big.bin" "$E2E_TMP/src/tree"
done
e2e_expect_rc send 0
kill -HUP "${E2E_PIDS[sig]}"
e2e_wait_until 5 grep -q 'SIGHUP' "$E2E_LOG/sig.err" || e2e_fail "no SIGHUP report"
e2e_alive sig || e2e_fail "server died on SIGHUP"
kill -TERM "${E2E_PIDS[sig]}"
e2e_wait_exit sig 10
e2e_expect_rc sig 0

# Removed cleanly: purge leaves none of the packages' files, the conffile or
# the enablement symlink.
purge || e2e_fail "apt-get purge failed: $(tail -20 "$E2E_TMP/purge.out")"
left=$(while read -r f; do if [[ -e $f && ! -d $f ]]; then echo "$f"; fi; done <"$E2E_TMP/files")
[[ -z $left ]] || e2e_fail "left after purge: $left"
[[ ! -e /etc/tallow && ! -e /etc/systemd/system/multi-user.target.wants/tallow-signal.service ]] ||
    e2e_fail "/etc/tallow or the enablement symlink left after purge"
e2e_pass
