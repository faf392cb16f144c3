# shellcheck shell=bash
# End-to-end test library for tallow: real `tallow send` / `tallow receive`
# processes, real files, network namespaces, nftables loss, tmpfs, coturn.
#
# Usage (one test per script):
#   source "$(dirname "$0")/lib.sh"
#   e2e_init "$@"            # $1 = path of the tallow binary
#   ...
#   e2e_pass
#
# Contract of this library:
# - Every process the test starts is started through e2e_spawn and recorded by
#   PID; e2e_cleanup (installed as the single EXIT/INT/TERM trap) kills exactly
#   those PIDs, stops coturn, unmounts what e2e_mount_tmpfs mounted, deletes
#   the network namespaces e2e_netns_* created and removes the temp dir.
# - No bare sleeps: every wait polls an observable condition against a
#   deadline (e2e_wait_until); the short sleep inside the poll is the only one.
# - Output of process NAME: stdout in $E2E_LOG/NAME.jsonl (JSON lines, see
#   docs/CLI.md), stderr in $E2E_LOG/NAME.err. On failure the tail of every
#   log is printed; set E2E_KEEP=1 to keep the temp dir.
# - A watchdog ends the test through the trap after E2E_DEADLINE_S seconds
#   (default 285, under CTest's TIMEOUT 300).
#
# Needs: bash 4+, coreutils, jq, iproute2, nftables, coturn (only where used).
# Most tests need root (namespaces, nft, mount); they exit 77 (CTest SKIP)
# when a prerequisite is missing.

set -Eeuo pipefail
shopt -s nullglob

E2E_SKIP=77
E2E_POLL=0.05              # seconds between polls inside e2e_wait_until
E2E_TALLOW=""
E2E_TMP=""
E2E_LOG=""
E2E_NAME=""
E2E_NS_PREFIX=""
declare -A E2E_PIDS=()     # process name -> PID (every process we started)
declare -A E2E_RC=()       # process name -> exit status, once reaped
declare -a E2E_NETNS=()    # namespaces we created
declare -a E2E_MOUNTS=()   # tmpfs mount points we mounted
E2E_TURN_PID=""
E2E_WATCHDOG=""
E2E_DONE=0

# ---------------------------------------------------------------- basics

e2e_log() { printf '[%s %s] %s\n' "$E2E_NAME" "$(date +%H:%M:%S.%3N)" "$*" >&2; }

e2e_fail()
{
    e2e_log "FAIL: $*"
    exit 1
}

e2e_skip()
{
    e2e_log "SKIP: $*"
    exit "$E2E_SKIP"
}

e2e_pass()
{
    E2E_DONE=1
    e2e_log "PASS"
    exit 0
}

# e2e_need_root / e2e_need CMD...: skip the test when a prerequisite is missing.
e2e_need_root() { [[ $(id -u) -eq 0 ]] || e2e_skip "needs root (namespaces, nft, mount)"; }
e2e_need()
{
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || e2e_skip "needs '$c' on PATH"
    done
}

# e2e_now_ms: monotonic-enough wall clock in milliseconds (for deadlines only).
e2e_now_ms() { date +%s%3N; }

# e2e_init TALLOW_BINARY: checks the binary, creates the temp dir, installs the
# trap, and points XDG_STATE_HOME into the temp dir so a sender's session file
# (docs/CLI.md "Running the same send again") never touches the user's state;
# likewise XDG_CONFIG_HOME (an empty folder) and no TALLOW_SIGNAL, so the
# user's client defaults (docs/CLI.md "Defaults") never change a test.
e2e_init()
{
    E2E_NAME=$(basename "$0" .sh)${E2E_VARIANT:+-$E2E_VARIANT}
    [[ $# -ge 1 ]] || {
        echo "usage: $0 TALLOW_BINARY [args...]" >&2
        exit 2
    }
    E2E_TALLOW=$(readlink -f "$1")
    [[ -x $E2E_TALLOW ]] || e2e_fail "tallow binary '$1' is not executable"
    e2e_need jq sha256sum
    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tallow-e2e.XXXXXX")
    E2E_LOG=$E2E_TMP/log
    mkdir -p "$E2E_LOG" "$E2E_TMP/state" "$E2E_TMP/config"
    export XDG_STATE_HOME=$E2E_TMP/state
    export XDG_CONFIG_HOME=$E2E_TMP/config
    unset TALLOW_SIGNAL
    # Namespace names are unique per test run so tests may run in parallel.
    E2E_NS_PREFIX="tle2e$$"
    trap e2e_cleanup EXIT
    trap 'e2e_log "interrupted"; exit 130' INT TERM HUP
    trap 'exit 141' PIPE # e.g. stderr piped into a reader that went away
    trap 'e2e_fail "watchdog: test ran longer than ${E2E_DEADLINE_S:-285} s"' USR1
    trap 'e2e_log "error: line $LINENO: $BASH_COMMAND (status $?)"' ERR
    # Watchdog: CTest kills a test that overruns its TIMEOUT (300 s) with
    # SIGKILL, which would skip the trap and leak namespaces and mounts; so
    # the test ends itself first, through the trap.
    (
        sleep "${E2E_DEADLINE_S:-285}"
        kill -USR1 $$ 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
    E2E_WATCHDOG=$!
    e2e_log "tmp $E2E_TMP, tallow $E2E_TALLOW"
}

# e2e_dump_logs: tail of every process log, for the CTest output on failure.
e2e_dump_logs()
{
    local f
    for f in "$E2E_LOG"/*; do
        [[ -s $f ]] || continue
        printf -- '----- %s (last 40 lines)\n' "${f##*/}" >&2
        tail -n 40 "$f" | cut -c1-400 >&2 || true
    done
}

# e2e_cleanup: the single trap. Kills every process we started (by PID), stops
# coturn, unmounts our tmpfs mounts, deletes our namespaces, removes the temp
# dir. Safe to run on any failure path and more than once.
e2e_cleanup()
{
    local rc=$? name pid mnt ns
    trap - ERR
    trap '' PIPE # a closed stderr must not stop the cleanup half-way
    set +e
    [[ $E2E_DONE -eq 1 ]] || e2e_dump_logs
    for name in "${!E2E_PIDS[@]}"; do
        pid=${E2E_PIDS[$name]}
        [[ -n ${E2E_RC[$name]:-} ]] && continue
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [[ -n $E2E_WATCHDOG ]]; then
        kill -KILL "$E2E_WATCHDOG" 2>/dev/null
        wait "$E2E_WATCHDOG" 2>/dev/null
    fi
    if [[ -n $E2E_TURN_PID ]]; then
        kill -KILL "$E2E_TURN_PID" 2>/dev/null
        wait "$E2E_TURN_PID" 2>/dev/null
    fi
    for mnt in "${E2E_MOUNTS[@]}"; do
        umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
    done
    for ns in "${E2E_NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [[ -n $E2E_TMP && -d $E2E_TMP ]]; then
        if [[ ${E2E_KEEP:-0} == 1 ]]; then
            e2e_log "kept $E2E_TMP"
        else
            rm -rf "$E2E_TMP"
        fi
    fi
    exit "$rc"
}

# e2e_wait_until SECONDS CMD...: polls CMD until it succeeds; returns 1 if the
# deadline passes first.
e2e_wait_until()
{
    local secs=$1
    shift
    local deadline=$(($(e2e_now_ms) + secs * 1000))
    while :; do
        if "$@"; then return 0; fi
        (($(e2e_now_ms) < deadline)) || return 1
        sleep "$E2E_POLL"
    done
}

# ---------------------------------------------------------------- files

# e2e_random_file PATH BYTES: BYTES of random data (urandom, 1 MiB blocks).
e2e_random_file()
{
    local path=$1 bytes=$2
    mkdir -p "$(dirname "$path")"
    head -c "$bytes" /dev/urandom >"$path"
    [[ $(stat -c %s "$path") -eq $bytes ]] || e2e_fail "short random file $path"
}

# e2e_random_tree DIR: a folder of small files in nested dirs, including an
# empty file, a file of exactly one byte and names with spaces.
e2e_random_tree()
{
    local dir=$1 i
    mkdir -p "$dir/a/b/c" "$dir/d e f" "$dir/g"
    : >"$dir/empty.txt"
    head -c 1 /dev/urandom >"$dir/one-byte.bin"
    for i in 1 2 3 4 5; do
        head -c $((i * 997)) /dev/urandom >"$dir/a/small-$i.bin"
        head -c $((i * 4099 + 7)) /dev/urandom >"$dir/a/b/c/deep-$i.bin"
    done
    head -c 65536 /dev/urandom >"$dir/d e f/exactly 64 KiB.bin"
    head -c 65537 /dev/urandom >"$dir/g/64k-plus-one.bin"
    : >"$dir/a/b/also-empty"
}

e2e_sha256() { sha256sum -- "$1" | cut -d' ' -f1; }

# e2e_tree_sums DIR: "SHA256  ./relative/path" for every regular file under
# DIR, sorted by path (one sha256sum process for the whole tree).
e2e_tree_sums()
{
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum --)
}

# e2e_src_sums PATH: sets REPLY to e2e_tree_sums of a source folder (or the
# digest of a source file), cached by path: sources are hashed once, not once
# per recipient. Call it directly, not in $(...), or the cache is lost.
declare -A E2E_SHA_CACHE=()
e2e_src_sums()
{
    if [[ -z ${E2E_SHA_CACHE[$1]:-} ]]; then
        if [[ -f $1 ]]; then
            E2E_SHA_CACHE[$1]=$(e2e_sha256 "$1")
        else
            E2E_SHA_CACHE[$1]=$(e2e_tree_sums "$1")
        fi
    fi
    REPLY=${E2E_SHA_CACHE[$1]}
}

# e2e_is_final_name PATH: true unless PATH is a receiver work file
# (NAME.tallow-part / NAME.tallow-state / NAME.tallow-state.tmp, docs/CLI.md
# "receive", docs/PROTOCOL.md "Receiver on disk").
e2e_is_final_name()
{
    case $1 in
    *.tallow-part | *.tallow-state | *.tallow-state.tmp) return 1 ;;
    *) return 0 ;;
    esac
}

# e2e_verify_tree SRC DST: every regular file under SRC exists under DST at the
# same relative path with the same SHA-256 (DST may hold more, e.g. work
# files). SRC may be a single file, then DST is the received file.
e2e_verify_tree()
{
    local src=$1 dst=$2 missing
    e2e_src_sums "$src"
    if [[ -f $src ]]; then
        [[ -f $dst ]] || e2e_fail "missing received file $dst"
        [[ $REPLY == "$(e2e_sha256 "$dst")" ]] || e2e_fail "hash mismatch: $dst"
        return 0
    fi
    [[ -n $REPLY ]] || e2e_fail "no files under $src"
    [[ -d $dst ]] || e2e_fail "missing received folder $dst"
    missing=$(comm -23 <(printf '%s\n' "$REPLY") <(e2e_tree_sums "$dst") | head -n 5) || true
    [[ -z $missing ]] || e2e_fail "files missing or different under $dst: $missing"
}

# e2e_verify_received OUT SRC...: each SRC (file or folder, as given to `send`)
# was received under OUT as OUT/$(basename SRC) and is byte-identical.
e2e_verify_received()
{
    local out=$1 s
    shift
    for s in "$@"; do
        e2e_verify_tree "$s" "$out/$(basename "$s")"
    done
}

# e2e_assert_no_false_complete OUT SRC...: no final-named file under OUT whose
# content is not one of the source files (a file "presented as complete" must
# be exactly a source file). Work files (.tallow-part, .tallow-state,
# .tallow-state.tmp) are fine.
e2e_assert_no_false_complete()
{
    local out=$1 h bad=""
    shift
    [[ -d $out ]] || return 0
    declare -A ok=()
    while read -r h _; do
        ok[$h]=1
    done < <(find "$@" -type f -print0 | xargs -0 -r sha256sum --)
    while read -r h f; do
        [[ -n ${ok[$h]:-} ]] || bad+=" $f"
    done < <(find "$out" -type f ! -name '*.tallow-part' ! -name '*.tallow-state' \
        ! -name '*.tallow-state.tmp' -print0 |
        xargs -0 -r sha256sum --)
    [[ -z $bad ]] || e2e_fail "file presented as complete but not a source file:$bad"
}

# ---------------------------------------------------------------- processes

# e2e_spawn NAME NETNS CMD...: starts CMD in the background (inside NETNS
# unless NETNS is "-"), stdout to $E2E_LOG/NAME.jsonl, stderr to NAME.err,
# stdin from $E2E_STDIN (default /dev/null), and records its PID. `ip netns
# exec` execs CMD, so the PID is CMD's own.
e2e_spawn()
{
    local name=$1 ns=$2 in=${E2E_STDIN:-/dev/null}
    shift 2
    [[ -z ${E2E_PIDS[$name]:-} || -n ${E2E_RC[$name]:-} ]] ||
        e2e_fail "process name $name already running"
    unset "E2E_RC[$name]"
    if [[ $ns == - ]]; then
        "$@" >"$E2E_LOG/$name.jsonl" 2>"$E2E_LOG/$name.err" <"$in" &
    else
        ip netns exec "$ns" "$@" >"$E2E_LOG/$name.jsonl" 2>"$E2E_LOG/$name.err" <"$in" &
    fi
    E2E_PIDS[$name]=$!
    e2e_log "started $name (pid ${E2E_PIDS[$name]}): ${*##*/}"
}

# e2e_alive NAME: true while the process runs (a zombie counts as exited).
e2e_alive()
{
    local pid=${E2E_PIDS[$1]} st
    [[ -z ${E2E_RC[$1]:-} ]] || return 1
    [[ -r /proc/$pid/stat ]] || return 1
    st=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $st != Z && $st != X ]]
}

# e2e_reap NAME: records the exit status of an exited process in E2E_RC.
e2e_reap()
{
    local name=$1 rc=0
    [[ -n ${E2E_RC[$name]:-} ]] && return 0
    wait "${E2E_PIDS[$name]}" || rc=$?
    E2E_RC[$name]=$rc
}

e2e_exited() { ! e2e_alive "$1"; }

# e2e_wait_exit NAME SECONDS: waits for NAME to exit; fails the test if it is
# still running at the deadline. Prints nothing; status in E2E_RC[NAME].
e2e_wait_exit()
{
    local name=$1 secs=$2
    e2e_wait_until "$secs" e2e_exited "$name" ||
        e2e_fail "$name still running after ${secs}s"
    e2e_reap "$name"
    e2e_log "$name exited with status ${E2E_RC[$name]}"
}

# e2e_wait_all_exit SECONDS NAME...: one shared deadline for several processes.
e2e_wait_all_exit()
{
    local secs=$1 name
    shift
    local deadline=$(($(e2e_now_ms) + secs * 1000))
    for name in "$@"; do
        local left=$(((deadline - $(e2e_now_ms)) / 1000))
        ((left > 0)) || left=1
        e2e_wait_exit "$name" "$left"
    done
}

# e2e_kill9 NAME: SIGKILL the process we started as NAME and reap it.
e2e_kill9()
{
    local name=$1
    e2e_alive "$name" || e2e_fail "$name exited before it could be killed"
    kill -KILL "${E2E_PIDS[$name]}"
    e2e_reap "$name"
    e2e_log "killed $name (pid ${E2E_PIDS[$name]}) with SIGKILL"
}

# e2e_expect_rc NAME STATUS...: the exit status of NAME is one of STATUS.
e2e_expect_rc()
{
    local name=$1 s
    shift
    for s in "$@"; do
        [[ ${E2E_RC[$name]} -eq $s ]] && return 0
    done
    e2e_fail "$name exited with ${E2E_RC[$name]}, expected one of: $*"
}

# ---------------------------------------------------------------- JSON events

# e2e_events NAME JQ_FILTER: runs JQ_FILTER over every complete JSON line of
# NAME's stdout (a half-written last line is skipped, not an error).
e2e_events()
{
    local f=$E2E_LOG/$1.jsonl
    [[ -f $f ]] || return 0
    jq -R -r "fromjson? | $2" <"$f" 2>/dev/null || true
}

# e2e_assert_json_only NAME: stdout of NAME is JSON objects with an "event"
# field, one per line, nothing else (docs/CLI.md "Output").
e2e_assert_json_only()
{
    local f=$E2E_LOG/$1.jsonl bad
    bad=$(jq -R -r 'fromjson? // "NOTJSON" | if type == "object" and has("event") then empty else . end' \
        <"$f" 2>&1 | head -n 3) || true
    [[ -z $bad ]] || e2e_fail "$1: stdout has a line that is not a JSON event: $bad"
}

_e2e_code_of() { E2E_CODE=$(e2e_events "$1" 'select(.event=="code") | .code' | head -n 1) || true; }
_e2e_has_code()
{
    _e2e_code_of "$1"
    [[ -n $E2E_CODE ]] && return 0
    if ! e2e_alive "$1"; then
        e2e_reap "$1"
        e2e_fail "$1 exited (status ${E2E_RC[$1]}) before printing a code"
    fi
    return 1
}

# e2e_read_code NAME [SECONDS]: waits for the sender's `code` event; sets
# E2E_CODE. Fails if the sender exits first or the deadline passes.
e2e_read_code()
{
    local name=$1 secs=${2:-20}
    E2E_CODE=""
    e2e_wait_until "$secs" _e2e_has_code "$name" || e2e_fail "$name printed no code in ${secs}s"
    e2e_log "$name code: $E2E_CODE"
}

# e2e_start_send NAME NETNS ARGS...: `tallow send ARGS... --json` in the
# background, then waits for its code (E2E_CODE). In the root namespace ("-")
# without --listen or --signal, the embedded server is kept on loopback
# (--listen 127.0.0.1:0): tests send nothing to this machine's real
# interfaces (unless TALLOW_SIGNAL or a config file gives a default server).
# Tests of the LAN default run in namespaces of their own.
e2e_start_send()
{
    local name=$1 ns=$2 a local_only=1
    shift 2
    for a in "$@"; do
        [[ $a == --listen || $a == --listen=* || $a == --signal || $a == --signal=* ]] && local_only=0
    done
    # A default server from the environment or a config file is the test's.
    [[ -n ${TALLOW_SIGNAL:-} || -e ${XDG_CONFIG_HOME:-/nonexistent}/tallow/config ]] && local_only=0
    [[ $ns == - && $local_only == 1 ]] && set -- "$@" --listen 127.0.0.1:0
    e2e_spawn "$name" "$ns" "$E2E_TALLOW" send "$@" --json
    e2e_read_code "$name"
}

# e2e_start_receive NAME NETNS CODE OUT ARGS...: `tallow receive CODE --json
# --out OUT ARGS...` in the background.
e2e_start_receive()
{
    local name=$1 ns=$2 code=$3 out=$4
    shift 4
    mkdir -p "$out"
    e2e_spawn "$name" "$ns" "$E2E_TALLOW" receive "$code" --json --out "$out" "$@"
}

# e2e_start_receivers N CODE OUTBASE ARGS...: receivers r1..rN, each its own
# process, writing to OUTBASE/rI. Namespaced when E2E_RX_NETNS_I_<i> is set by
# e2e_netns_group (see there); extra ARGS are passed to every receiver.
e2e_start_receivers()
{
    local n=$1 code=$2 base=$3 i ns extra
    shift 3
    for ((i = 1; i <= n; i++)); do
        ns=-
        extra=()
        if [[ ${#E2E_NETNS[@]} -gt 0 && -n ${E2E_RX_NS[$i]:-} ]]; then
            ns=${E2E_RX_NS[$i]}
            extra=(--bind "${E2E_RX_ADDR[$i]}")
        fi
        e2e_start_receive "r$i" "$ns" "$code" "$base/r$i" "${extra[@]}" "$@"
    done
}

# e2e_progress NAME: the `bytes` of NAME's last `progress` event (0 if none).
# grep + a bash regex rather than jq: it runs in tight poll loops.
e2e_progress()
{
    local f=$E2E_LOG/$1.jsonl line
    line=$(grep -a '"event" *: *"progress"' "$f" 2>/dev/null | grep -a '"bytes" *: *[0-9]' |
        tail -n 1) || true
    if [[ $line =~ \"bytes\"[[:space:]]*:[[:space:]]*([0-9]+) ]]; then
        echo "${BASH_REMATCH[1]}"
    else
        echo 0
    fi
}

_e2e_progress_at_least()
{
    local name=$1 want=$2
    e2e_alive "$name" || e2e_fail "$name exited before reaching $want bytes"
    (($(e2e_progress "$name") >= want))
}

# e2e_wait_progress NAME BYTES SECONDS: waits until NAME reports at least BYTES
# in a `progress` event (NAME must still be running).
e2e_wait_progress()
{
    e2e_wait_until "$3" _e2e_progress_at_least "$1" "$2" ||
        e2e_fail "$1 did not reach $2 bytes in $3 s (at $(e2e_progress "$1"))"
}

# e2e_result NAME FIELD: FIELD of NAME's (receiver's) last `result` event.
e2e_result() { e2e_events "$1" "select(.event==\"result\") | .$2" | tail -n 1; }

# e2e_assert_receive_ok NAME: NAME exited 0, its last result is ok:true, and
# every file it lists exists with the listed size and SHA-256.
e2e_assert_receive_ok()
{
    local name=$1 out=$2 list
    e2e_reap "$name"
    [[ $(e2e_result "$name" ok) == true ]] ||
        e2e_fail "$name: result not ok (error: $(e2e_result "$name" error))"
    e2e_expect_rc "$name" 0
    e2e_assert_json_only "$name"
    # Every file the result lists exists with the listed SHA-256 (paths are
    # relative to --out or absolute): one sha256sum -c for all of them.
    list=$E2E_TMP/$name.result-sums
    e2e_events "$name" 'select(.event=="result") | .files[]? | "\(.sha256)  \(.path)"' >"$list"
    [[ -s $list ]] || e2e_fail "$name: result lists no files"
    (cd "$out" && sha256sum --quiet -c "$list" >&2) ||
        e2e_fail "$name: a file listed in its result is missing or differs"
}

# e2e_assert_receive_failed NAME: NAME's last result is ok:false with a
# non-empty error, and it exited non-zero (1 or 3).
e2e_assert_receive_failed()
{
    local name=$1 err
    e2e_reap "$name"
    [[ $(e2e_result "$name" ok) == false ]] ||
        e2e_fail "$name: expected a result with ok:false, got '$(e2e_result "$name" ok)'"
    err=$(e2e_result "$name" error)
    [[ -n $err && $err != null ]] || e2e_fail "$name: ok:false without an error"
    e2e_expect_rc "$name" 1 3
    e2e_log "$name failed as expected: $err"
}

# e2e_send_results NAME: the sender's per-recipient results, one TSV line each:
# peer, ok, bytes_sent, error.
e2e_send_results()
{
    e2e_events "$1" 'select(.event=="result") | [.peer, .ok, (.bytes_sent // 0), (.error // "")] | @tsv'
}

# e2e_count_send_results NAME OK: number of sender results with ok == OK.
e2e_count_send_results()
{
    e2e_events "$1" "select(.event==\"result\" and .ok==$2) | .peer" | wc -l
}

# e2e_sum_bytes_sent NAME: sum of bytes_sent over the sender's ok results.
e2e_sum_bytes_sent()
{
    local s
    s=$(e2e_events "$1" 'select(.event=="result" and .ok==true) | .bytes_sent' |
        awk '{ s += $1 } END { printf "%d", s }')
    echo "${s:-0}"
}

# e2e_wait_peer_state NAME STATE COUNT SECONDS: waits until NAME has emitted at
# least COUNT `peer` events with state STATE.
_e2e_peer_count()
{
    local n
    n=$(e2e_events "$1" "select(.event==\"peer\" and .state==\"$2\") | .state" | wc -l)
    ((n >= $3))
}
e2e_wait_peer_state()
{
    e2e_wait_until "$4" _e2e_peer_count "$1" "$2" "$3" ||
        e2e_fail "$1: fewer than $3 peer events with state $2 in $4 s"
}

# e2e_mutate_code CODE: a wrong code that still parses. A code of the form
# "GROUP-w1-...-wN[@LOCATION]" (src/signal/joincode.h) gets its last word
# replaced by another word of the same code (a valid word that differs in
# its first four letters, which is what word lookup compares), so the
# location and the join password (first words) stay right and only the key
# part differs. Any other code gets the last letter or digit before an "@"
# changed (a digit to another digit, a letter to another letter).
e2e_mutate_code()
{
    local code=$1 head tail="" w last i c r set
    head=${code%%@*}
    [[ $code == *@* ]] && tail=@${code#*@}
    local -a parts
    IFS=- read -ra parts <<<"$head"
    if ((${#parts[@]} >= 3)); then
        last=${parts[-1],,}
        for w in "${parts[@]:1}"; do
            [[ $w =~ ^[A-Za-z]+$ ]] || continue
            w=${w,,}
            [[ ${w:0:4} != "${last:0:4}" ]] || continue
            parts[-1]=$w
            (IFS=-; printf '%s%s\n' "${parts[*]}" "$tail")
            return 0
        done
    fi
    local digits=0123456789 lower=abcdefghijklmnopqrstuvwxyz
    local upper=ABCDEFGHIJKLMNOPQRSTUVWXYZ
    for ((i = ${#head} - 1; i >= 0; i--)); do
        c=${head:i:1}
        for set in "$digits" "$lower" "$upper"; do
            [[ $set == *"$c"* ]] || continue
            r=${set#*"$c"}
            r=${r:0:1}
            [[ -n $r ]] || r=${set:0:1}
            printf '%s%s%s%s\n' "${head:0:i}" "$r" "${head:i+1}" "$tail"
            return 0
        done
    done
    e2e_fail "code '$code' has no letter or digit to change"
}

# ---------------------------------------------------------------- ports

# e2e_free_port udp|tcp: a port in 20000..59999 with no listener on 127.0.0.1
# or any address (as reported by ss); races with other programs are possible
# but unlikely, and the caller's start-up check catches them.
e2e_free_port()
{
    local proto=$1 p flag=-ltn
    [[ $proto == udp ]] && flag=-lun
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        [[ -n $(ss -H "$flag" "sport = :$p" 2>/dev/null) ]] || {
            echo "$p"
            return 0
        }
    done
    e2e_fail "no free $proto port found"
}

# ---------------------------------------------------------------- namespaces

declare -a E2E_RX_NS=()    # index i (1-based) -> namespace of recipient i
declare -a E2E_RX_ADDR=()  # index i -> address of recipient i
E2E_TX_NS=""
E2E_TX_ADDR=10.203.0.1

# e2e_netns_group N: a sender namespace with a bridge (10.203.0.1/24) and N
# recipient namespaces, each joined to the bridge by a veth pair, recipient i
# at 10.203.0.(10+i)/24. Sets E2E_TX_NS, E2E_RX_NS[i], E2E_RX_ADDR[i].
# Everything is created inside namespaces this test owns (deleted by the trap).
e2e_netns_group()
{
    local n=$1 i ns
    e2e_need_root
    e2e_need ip bridge
    E2E_TX_NS=${E2E_NS_PREFIX}s
    ip netns add "$E2E_TX_NS" || e2e_fail "ip netns add $E2E_TX_NS"
    E2E_NETNS+=("$E2E_TX_NS")
    ip -n "$E2E_TX_NS" link set lo up
    ip -n "$E2E_TX_NS" link add br0 type bridge
    ip -n "$E2E_TX_NS" addr add "$E2E_TX_ADDR/24" dev br0
    ip -n "$E2E_TX_NS" link set br0 up
    for ((i = 1; i <= n; i++)); do
        ns=${E2E_NS_PREFIX}r$i
        ip netns add "$ns" || e2e_fail "ip netns add $ns"
        E2E_NETNS+=("$ns")
        ip -n "$ns" link set lo up
        # Create the pair in the sender namespace; move the far end out.
        ip -n "$E2E_TX_NS" link add "vs$i" type veth peer name eth0 netns "$ns"
        ip -n "$E2E_TX_NS" link set "vs$i" master br0
        ip -n "$E2E_TX_NS" link set "vs$i" up
        E2E_RX_NS[i]=$ns
        E2E_RX_ADDR[i]=10.203.0.$((10 + i))
        ip -n "$ns" addr add "${E2E_RX_ADDR[i]}/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
    # Links come up asynchronously: wait until every bridge port forwards and
    # every recipient's eth0 is up (carrier), the observable conditions.
    for ((i = 1; i <= n; i++)); do
        e2e_wait_until 10 _e2e_port_ready "$i" ||
            e2e_fail "link to recipient namespace $i did not come up"
    done
    e2e_log "namespaces: sender $E2E_TX_NS, $n recipients"
}

_e2e_port_ready()
{
    local i=$1
    [[ $(bridge -n "$E2E_TX_NS" link show dev "vs$i" 2>/dev/null) == *"state forwarding"* ]] &&
        [[ $(ip netns exec "${E2E_RX_NS[i]}" cat /sys/class/net/eth0/operstate) == up ]]
}

# e2e_netns_loss NS PERCENT: drops PERCENT % of packets at random on input
# and on output inside NS (nftables numgen).
e2e_netns_loss()
{
    local ns=$1 pct=$2
    e2e_need nft
    ip netns exec "$ns" nft -f - <<EOF || e2e_fail "nft in $ns"
table inet tallow_e2e_loss {
    chain input {
        type filter hook input priority 0; policy accept;
        numgen random mod 100 < $pct counter drop
    }
    chain output {
        type filter hook output priority 0; policy accept;
        numgen random mod 100 < $pct counter drop
    }
}
EOF
    local rules
    rules=$(ip netns exec "$ns" nft list table inet tallow_e2e_loss) || rules=""
    [[ $rules == *"numgen random mod 100 < $pct"* ]] || e2e_fail "loss rule not installed in $ns"
}

# e2e_loss_counters NS: packets dropped so far by the loss rules in NS.
e2e_loss_counters()
{
    ip netns exec "$1" nft list table inet tallow_e2e_loss 2>/dev/null |
        awk '/numgen/ && /packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") s += $(i+1) } END { print s + 0 }'
}

# ---------------------------------------------------------------- tmpfs

# e2e_mount_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 8m) on DIR, unmounted by
# the trap.
e2e_mount_tmpfs()
{
    local dir=$1 size=$2
    e2e_need_root
    mkdir -p "$dir"
    mount -t tmpfs -o "size=$size,mode=0755" tallow-e2e "$dir" || e2e_fail "mount tmpfs on $dir"
    E2E_MOUNTS+=("$dir")
}

# ---------------------------------------------------------------- coturn

E2E_TURN_PORT=""
E2E_TURN_USER=tallow
E2E_TURN_PASS=""
E2E_TURN_REALM=tallow.test

_e2e_turn_listening()
{
    if [[ -z $E2E_TURN_PID ]] || ! kill -0 "$E2E_TURN_PID" 2>/dev/null; then
        e2e_fail "turnserver exited during start-up"
    fi
    if [[ -n $E2E_TURN_NS ]]; then
        [[ -n $(ip netns exec "$E2E_TURN_NS" ss -H -lun "sport = :$E2E_TURN_PORT" 2>/dev/null) ]]
    else
        [[ -n $(ss -H -lun "sport = :$E2E_TURN_PORT" 2>/dev/null) ]]
    fi
}

# e2e_start_turn [NETNS ADDR]: a real coturn on 127.0.0.1 (or on ADDR inside
# the namespace NETNS) with a temporary config:
# long-term credentials (static user), a realm, no TLS/DTLS, loopback peers
# allowed, relay ports in a private range. Sets E2E_TURN_PORT/USER/PASS/REALM
# and E2E_TURN_URL (turn:ADDR:PORT?transport=udp). Stopped by the trap.
E2E_TURN_NS=""
e2e_start_turn()
{
    e2e_need turnserver ss
    E2E_TURN_NS=${1:-}
    local addr=${2:-127.0.0.1}
    local conf=$E2E_TMP/turnserver.conf base
    local -a in_ns=()
    [[ -n $E2E_TURN_NS ]] && in_ns=(ip netns exec "$E2E_TURN_NS")
    E2E_TURN_PORT=$(e2e_free_port udp)
    E2E_TURN_PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    base=$((40000 + (RANDOM % 200) * 100))
    cat >"$conf" <<EOF
listening-ip=$addr
relay-ip=$addr
listening-port=$E2E_TURN_PORT
min-port=$base
max-port=$((base + 99))
lt-cred-mech
user=$E2E_TURN_USER:$E2E_TURN_PASS
realm=$E2E_TURN_REALM
no-tls
no-dtls
no-tcp-relay
allow-loopback-peers
no-cli
no-rfc5780
no-stun-backward-compatibility
fingerprint
simple-log
log-file=$E2E_LOG/turnserver.log
pidfile=$E2E_TMP/turnserver.pid
userdb=$E2E_TMP/turndb
verbose
EOF
    "${in_ns[@]}" turnserver -c "$conf" >"$E2E_LOG/turnserver.out" 2>&1 </dev/null &
    E2E_TURN_PID=$!
    e2e_wait_until 10 _e2e_turn_listening || e2e_fail "turnserver not listening on $E2E_TURN_PORT"
    E2E_TURN_URL="turn:$addr:$E2E_TURN_PORT?transport=udp"
    e2e_log "coturn pid $E2E_TURN_PID on $addr:$E2E_TURN_PORT"
}

# e2e_stop_turn: stops coturn now (the trap does it otherwise).
e2e_stop_turn()
{
    [[ -n $E2E_TURN_PID ]] || return 0
    kill -TERM "$E2E_TURN_PID" 2>/dev/null || true
    wait "$E2E_TURN_PID" 2>/dev/null || true
    E2E_TURN_PID=""
}

# e2e_turn_args: the relay-only arguments for send and receive.
e2e_turn_args()
{
    printf '%s\n' --relay-only --turn "$E2E_TURN_URL" --turn-user "$E2E_TURN_USER" \
        --turn-pass "$E2E_TURN_PASS"
}

# ---------------------------------------------------------------- common flows

# e2e_fanout_check N OUTBASE SRC...: every receiver r1..rN succeeded and holds
# byte-identical copies of every SRC.
e2e_fanout_check()
{
    local n=$1 base=$2 i
    shift 2
    for ((i = 1; i <= n; i++)); do
        e2e_assert_receive_ok "r$i" "$base/r$i"
        e2e_verify_received "$base/r$i" "$@"
    done
}

# e2e_assert_send_ok NAME N: sender exited 0 with N ok results and no failed.
e2e_assert_send_ok()
{
    local name=$1 n=$2
    e2e_reap "$name"
    e2e_assert_json_only "$name"
    [[ $(e2e_count_send_results "$name" true) -eq $n ]] ||
        e2e_fail "$name: $(e2e_count_send_results "$name" true) ok results, expected $n"
    [[ $(e2e_count_send_results "$name" false) -eq 0 ]] || e2e_fail "$name: failed results: $(e2e_send_results "$name")"
    e2e_expect_rc "$name" 0
}
