#!/usr/bin/env bash
# A hostile file name advertised by the sender (TALLOW_TEST_SEND_NAME makes it
# advertise that name for the first file): `../../x`, `/etc/x`, or a name with
# control characters (ESC, BEL, newline). For each recipient either
#   - the transfer succeeds and the file lands under --out under a sanitised
#     name (relative, no `..`, no control characters) with the right content, or
#   - the recipient ends with ok:false and an error;
# in both cases nothing is written outside --out, and no final-named file
# holds anything but a source file's content.
#
# usage: hostile_names.sh TALLOW dotdot|abs|ctrl
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
variant=${2:?dotdot|abs|ctrl}
export E2E_VARIANT=$variant
case $variant in
dotdot) name='../../x' ;;
abs) name='/etc/x' ;;
ctrl) name=$'bad\e[2J\aname\n.txt' ;;
*) e2e_fail "unknown variant $variant" ;;
esac
e2e_init "$1"

src=$E2E_TMP/src
jail=$E2E_TMP/jail
e2e_random_file "$src/first.bin" $((1 << 20))
e2e_random_file "$src/second.bin" $((1 << 20))
# Outputs sit deep inside the jail, so ../../x from --out stays inside it.
out1=$jail/r1/a/b/out
out2=$jail/r2/a/b/out
mkdir -p "$jail/cwd" "$out1" "$out2"

# Places a naive receiver would write to, outside any --out.
watch=(/etc/x /x "$(dirname "$E2E_TMP")/x" "$jail/cwd/x" "$jail/x")
declare -A existed=()
for p in "${watch[@]}"; do [[ -e $p ]] && existed[$p]=1; done
touch "$E2E_TMP/start-marker"

cd "$jail/cwd" || e2e_fail "cd $jail/cwd"
TALLOW_TEST_SEND_NAME=$name e2e_start_send send - "$src/first.bin" "$src/second.bin" --expect 2 --timeout 60
e2e_start_receive r1 - "$E2E_CODE" "$out1" --timeout 60
e2e_start_receive r2 - "$E2E_CODE" "$out2" --timeout 60
e2e_wait_all_exit 90 r1 r2 send

for p in "${watch[@]}"; do
    if [[ -e $p && -z ${existed[$p]:-} ]]; then
        rm -f -- "$p"
        e2e_fail "hostile name escaped --out: $p was created"
    fi
done
escaped=$(find "$jail" -newer "$E2E_TMP/start-marker" -type f ! -path "$out1/*" ! -path "$out2/*" | head -n 5) || true
[[ -z $escaped ]] || e2e_fail "files written outside --out: $escaped"

i=0
for o in "$out1" "$out2"; do
    i=$((i + 1))
    e2e_reap "r$i"
    e2e_assert_no_false_complete "$o" "$src/first.bin" "$src/second.bin"
    if [[ $(e2e_result "r$i" ok) == true ]]; then
        e2e_assert_receive_ok "r$i" "$o"
        e2e_verify_received "$o" "$src/second.bin"
        while IFS= read -r -d '' f; do
            e2e_is_final_name "$f" || continue
            rel=${f#"$o"/}
            [[ $rel != *..* && $rel != /* ]] || e2e_fail "unsanitised path $rel"
            [[ $rel != *[[:cntrl:]]* ]] || e2e_fail "control character kept in a received name: $(printf '%q' "$rel")"
        done < <(find "$o" -type f -print0)
        n_final=$(find "$o" -type f ! -name '*.tallow-part' ! -name '*.tallow-state' \
            ! -name '*.tallow-state.tmp' | wc -l)
        [[ $n_final -eq 2 ]] || e2e_fail "r$i: ok:true but $n_final final files (expected 2)"
        e2e_log "r$i accepted the file under a sanitised name"
    else
        e2e_assert_receive_failed "r$i"
    fi
done
e2e_pass
