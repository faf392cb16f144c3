#!/usr/bin/env bash
# One line per failure, before anything starts (docs/CLI.md "Exit status"):
# a missing source is named once with the reason (exit 3); an unusable
# --out folder likewise; a mistyped code (argument, stdin or TALLOW_CODE) is
# refused with the wrong word and the nearest words (exit 2), and a code on
# stdin that is empty is "no join code given". No network is touched.
#
# usage: cli_errors.sh TALLOW
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init "$1"

# expect NAME STATUS PATTERN CMD...: CMD exits STATUS with exactly one stderr
# line matching PATTERN and nothing on stdout.
expect()
{
    local name=$1 want=$2 pat=$3 rc=0
    shift 3
    "$@" >"$E2E_LOG/$name.out" 2>"$E2E_LOG/$name.err" </dev/null || rc=$?
    [[ $rc == "$want" ]] || e2e_fail "$name: exit $rc, want $want: $(cat "$E2E_LOG/$name.err")"
    [[ $(wc -l <"$E2E_LOG/$name.err") -eq 1 ]] ||
        e2e_fail "$name: want one error line, got: $(cat "$E2E_LOG/$name.err")"
    grep -qF -- "$pat" "$E2E_LOG/$name.err" || e2e_fail "$name: '$pat' not in: $(cat "$E2E_LOG/$name.err")"
    [[ ! -s $E2E_LOG/$name.out ]] || e2e_fail "$name: wrote to stdout: $(cat "$E2E_LOG/$name.out")"
    e2e_log "$name: $(cat "$E2E_LOG/$name.err")"
}

code=123456-able-acid-acorn-acre-actor@127.0.0.1:9
expect missing 3 "tallow send: cannot read $E2E_TMP/nope.txt: No such file or directory" \
    "$E2E_TALLOW" send "$E2E_TMP/nope.txt" --listen 127.0.0.1:0
expect stdin_dash 3 "tallow send: cannot read -: No such file or directory" \
    "$E2E_TALLOW" send - --listen 127.0.0.1:0
expect out_dir 3 "tallow receive: cannot use $E2E_TMP/none as the output folder" \
    "$E2E_TALLOW" receive "$code" --out "$E2E_TMP/none"
expect typo_arg 2 "tallow receive: 'brok' is not a code word: did you mean book, brook?" \
    "$E2E_TALLOW" receive 123456-able-acid-acorn-acre-brok@127.0.0.1:9
expect words 2 "has 4" "$E2E_TALLOW" receive 123456-able-acid-acorn-acre
expect typo_env 2 "'acron' is not a code word: did you mean acorn" \
    env TALLOW_CODE="123456 able acid acron acre actor" "$E2E_TALLOW" receive
expect no_code 2 "no join code given" "$E2E_TALLOW" receive --json
printf '123456-able-acid-acorn-acre-actr@127.0.0.1:9\n' >"$E2E_TMP/code.txt"
rc=0
"$E2E_TALLOW" receive --json <"$E2E_TMP/code.txt" >/dev/null 2>"$E2E_LOG/stdin.err" || rc=$?
[[ $rc == 2 ]] || e2e_fail "stdin typo: exit $rc"
grep -qF "'actr' is not a code word: did you mean actor" "$E2E_LOG/stdin.err" ||
    e2e_fail "stdin typo: $(cat "$E2E_LOG/stdin.err")"
e2e_pass
