#!/usr/bin/env bash
# The option lists of every command agree in its three sources of truth:
#   - the OPTIONS section of its man page source (docs/man/tallow-CMD.1.scd),
#   - what `tallow CMD --help` prints (every --long-option token),
#   - its "## CMD" section of docs/CLI.md.
# Generic on purpose: an option added to the code shows up here as missing
# from whichever document has not been updated. --help itself is left out.
# Also checks that `tallow help CMD` prints exactly `tallow CMD --help`, and
# that the generated man pages exist.
# usage: options.sh TALLOW SOURCE_DIR BINARY_DIR
set -euo pipefail
tallow=$1 src=$2 bin=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

longopts() { { grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' || true; } | { grep -vx -- '--help' || true; } | sort -u; }

# Lines of the section whose heading is exactly $2 ("# OPTIONS", "## send"),
# up to the next heading of the same or higher level.
section() {
    awk -v h="$2" '
        BEGIN { lvl = index(h, " ") - 1 }
        $0 == h { on = 1; next }
        on && /^#+ / { n = index($0, " ") - 1; if (n <= lvl) exit }
        on { print }' "$1"
}

compare() { # NAME FILE_A LABEL_A FILE_B LABEL_B
    local d
    d=$(diff <(cat "$2") <(cat "$4") || true)
    if [ -n "$d" ]; then
        echo "FAIL: $1: option lists differ ('<' only in $3, '>' only in $5):"
        echo "$d" | grep '^[<>]' | sed 's/^/  /'
        status=1
    fi
}

for cmd in send receive signal bench; do
    man_src=$src/docs/man/tallow-$cmd.1.scd
    [ -f "$man_src" ] || { echo "FAIL: no $man_src"; status=1; continue; }
    [ -s "$bin/man/tallow-$cmd.1" ] || { echo "FAIL: $bin/man/tallow-$cmd.1 not generated"; status=1; }
    "$tallow" "$cmd" --help >"$tmp/help.txt"
    "$tallow" help "$cmd" >"$tmp/help2.txt"
    cmp -s "$tmp/help.txt" "$tmp/help2.txt" || { echo "FAIL: tallow help $cmd != tallow $cmd --help"; status=1; }
    longopts <"$tmp/help.txt" >"$tmp/$cmd.help"
    section "$man_src" "# OPTIONS" | longopts >"$tmp/$cmd.man"
    section "$src/docs/CLI.md" "## $cmd" | longopts >"$tmp/$cmd.doc"
    [ -s "$tmp/$cmd.help" ] || { echo "FAIL: tallow $cmd --help lists no option"; status=1; }
    compare "$cmd" "$tmp/$cmd.help" "tallow $cmd --help" "$tmp/$cmd.man" "$man_src OPTIONS"
    compare "$cmd" "$tmp/$cmd.help" "tallow $cmd --help" "$tmp/$cmd.doc" "docs/CLI.md '## $cmd'"
    echo "$cmd: $(wc -l <"$tmp/$cmd.help") options: $(tr '\n' ' ' <"$tmp/$cmd.help")"
done

# tallow itself: tallow(1) OPTIONS vs tallow --help; CLI.md names them too.
"$tallow" --help | longopts >"$tmp/top.help"
section "$src/docs/man/tallow.1.scd" "# OPTIONS" | longopts >"$tmp/top.man"
compare tallow "$tmp/top.help" "tallow --help" "$tmp/top.man" "tallow.1.scd OPTIONS"
while read -r o; do
    grep -q -- "tallow $o" "$src/docs/CLI.md" || { echo "FAIL: docs/CLI.md does not show 'tallow $o'"; status=1; }
done <"$tmp/top.help"
"$tallow" --version | grep -E '^tallow [0-9]+\.[0-9]+\.[0-9]+$' >/dev/null || { echo "FAIL: tallow --version"; status=1; }
[ $status -eq 0 ] && echo "ok: man pages, --help and docs/CLI.md agree"
exit $status
