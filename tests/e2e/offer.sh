#!/usr/bin/env bash
# Offers before data, names, invitations (docs/CLI.md "Offers", "Names").
# The sender is `tallow send --json --name alice` with a file and a folder;
# the recipient runs on a real terminal (tmux, term.sh) or with --json.
#
# usage: offer.sh TALLOW MODE
#   accept  terminal: the question names alice, the counts, the size and the
#           SAS the sender reports; nothing is written while it is asked;
#           `y` receives everything, the final screen lists the saved files;
#           the sender's events name the recipient "bob".
#   decline terminal: `n` sends CANCEL, nothing is written, exit 5; the
#           sender reports "declined by the receiver".
#   auto    --json: an `offer` event (from, files, folders, total, names,
#           sas), no question, received; and --yes on a terminal: no question.
#   invite  `send --to bob` with `receive --name bob --accept --json`, then
#           with `receive --name bob` on a terminal (no --accept): the
#           question shows who invites and what; `y` receives.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=term.sh
source "$(dirname "${BASH_SOURCE[0]}")/term.sh"
mode=${2:?mode}
export E2E_VARIANT=$mode
e2e_init "$1"
e2e_need jq tmux

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/big.bin" $((3 << 20))
e2e_random_tree "$src/tree"
nfiles=$(($(find "$src/tree" -type f | wc -l) + 1))
nfolders=$(find "$src/tree" -type d | wc -l)
total=$(($(find "$src" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')))
QRE="^Receive $nfiles files in $nfolders folders \\([0-9.]+ [kMG]?B\\) from alice\\? SAS [0-9]{3} [0-9]{3} \\[y/N\\]"

empty_dir() { [[ -z $(find "$1" -mindepth 1 -print -quit) ]]; }
has_event() { [[ -n $(e2e_events "$1" "$2") ]]; }

# sender_sas: the SAS the sender reports for its (one) recipient.
sender_sas() { e2e_events send 'select(.event=="peer" and .sas) | .sas' | tail -n 1; }

# ask_and_answer NAME KEY: waits for the question on NAME's terminal, checks
# it against the sender's SAS and that nothing is written yet, answers KEY.
ask_and_answer()
{
    local name=$1 key=$2 q
    e2e_wait_until 60 term_has "$name" "$QRE" || e2e_fail "$name: no offer question"
    q=$(term_screen "$name" | grep -E "$QRE")
    e2e_log "$name asks: $q"
    e2e_wait_until 10 has_event send 'select(.event=="peer" and .sas)' || e2e_fail "sender: no SAS"
    [[ $q == *"SAS $(sender_sas) "* ]] || e2e_fail "$name: SAS differs from the sender's ($(sender_sas))"
    empty_dir "$out" || e2e_fail "$name: something was written before the answer: $(ls -A "$out")"
    term_keys "$name" "$key" Enter
}

mkdir -p "$out"
case $mode in
accept | decline)
    e2e_start_send send - "$src/big.bin" "$src/tree" --name alice --timeout 90
    term_start rx 200 40 "$E2E_TALLOW" receive "$E2E_CODE" --out "$out" --name bob --timeout 90
    if [[ $mode == accept ]]; then
        ask_and_answer rx y
        e2e_wait_until 90 term_ended rx || e2e_fail "receive did not end"
        e2e_wait_exit send 30
        [[ $(term_rc rx) == 0 ]] || e2e_fail "receive exited $(term_rc rx)"
        e2e_assert_send_ok send 1
        e2e_verify_received "$out" "$src/big.bin" "$src/tree"
        term_screen rx >"$E2E_LOG/rx.screen"
        saved=$(grep -c "^saved $out/" "$E2E_LOG/rx.screen") || true
        # (a tall tree may scroll the first lines away: at least the last ones)
        ((saved >= 5)) || e2e_fail "the final screen lists $saved saved files"
        grep -q "^saved $out/big.bin (3.1 MB)" "$E2E_LOG/rx.screen" ||
            grep -q "^saved $out/tree/" "$E2E_LOG/rx.screen" || e2e_fail "no saved line with size and path"
        grep -Eq '^ [0-9a-f]{12} alice .* done' "$E2E_LOG/rx.screen" || e2e_fail "the receiver's row is not done / alice"
        for ev in peer progress result; do
            [[ $(e2e_events send "select(.event==\"$ev\" and .name==\"bob\") | .event" | head -n 1) == "$ev" ]] ||
                e2e_fail "sender: no $ev event with name bob"
        done
    else
        ask_and_answer rx n
        e2e_wait_until 30 term_ended rx || e2e_fail "receive did not end"
        e2e_wait_exit send 30
        [[ $(term_rc rx) == 5 ]] || e2e_fail "receive exited $(term_rc rx), expected 5"
        term_has rx 'declined: nothing was written' || e2e_fail "no decline message"
        empty_dir "$out" || e2e_fail "something was written: $(ls -A "$out")"
        [[ $(e2e_events send 'select(.event=="result") | .error') == *"declined by the receiver"* ]] ||
            e2e_fail "sender: $(e2e_events send 'select(.event=="result") | .error')"
    fi
    ;;
auto)
    e2e_start_send send - "$src/big.bin" "$src/tree" --name alice --expect 2 --timeout 90
    e2e_start_receive r1 - "$E2E_CODE" "$out/r1" --name bob --timeout 90
    mkdir -p "$out/r2"
    term_start rx 200 40 "$E2E_TALLOW" receive "$E2E_CODE" --out "$out/r2" --yes --timeout 90
    e2e_wait_all_exit 90 send r1
    e2e_wait_until 30 term_ended rx || e2e_fail "receive --yes did not end"
    [[ $(term_rc rx) == 0 ]] || e2e_fail "receive --yes exited $(term_rc rx)"
    ! term_has rx '\[y/N\]' || e2e_fail "--yes asked anyway"
    e2e_assert_send_ok send 2
    e2e_assert_receive_ok r1 "$out/r1"
    e2e_verify_received "$out/r1" "$src/big.bin" "$src/tree"
    e2e_verify_received "$out/r2" "$src/big.bin" "$src/tree"
    offer=$(e2e_events r1 'select(.event=="offer")')
    e2e_log "offer event: $offer"
    jq -e --argjson f "$nfiles" --argjson d "$nfolders" --argjson t "$total" \
        '.from == "alice" and .files == $f and .folders == $d and .total == $t and
         (.names | sort) == ["big.bin", "tree"] and (.sas | test("^[0-9]{3} [0-9]{3}$"))' \
        <<<"$offer" >/dev/null || e2e_fail "offer event: $offer"
    [[ $(jq -r .sas <<<"$offer") == "$(e2e_events r1 'select(.event=="peer" and .sas) | .sas' | tail -n 1)" ]] ||
        e2e_fail "offer SAS differs from the keyed SAS"
    # (a short transfer may end before the first stats event)
    names=$(e2e_events r1 'select(.event=="stats") | .name' | sort -u)
    [[ -z $names || $names == alice ]] || e2e_fail "r1: stats names: $names"
    [[ $(e2e_events r1 'select(.event=="progress") | .name' | sort -u) == alice ]] ||
        e2e_fail "r1: progress events without name alice"
    ;;
invite)
    port=$(e2e_free_port tcp)
    e2e_start_send send - "$src/big.bin" "$src/tree" --name alice --to bob --listen "127.0.0.1:$port" \
        --timeout 90
    mkdir -p "$out/r1"
    e2e_spawn r1 - "$E2E_TALLOW" receive --json --out "$out/r1" --name bob --accept \
        --signal "ws://127.0.0.1:$port" --timeout 90
    e2e_wait_all_exit 90 send r1
    e2e_assert_send_ok send 1
    e2e_assert_receive_ok r1 "$out/r1"
    e2e_verify_received "$out/r1" "$src/big.bin" "$src/tree"
    [[ $(e2e_events r1 'select(.event=="offer") | .from') == alice ]] || e2e_fail "r1: offer not from alice"
    # without --accept, on a terminal: the offer question decides
    out=$E2E_TMP/out2
    mkdir -p "$out"
    e2e_start_send send2 - "$src/big.bin" "$src/tree" --name alice --to bob --listen "127.0.0.1:$port" \
        --timeout 90
    term_start rx 200 40 "$E2E_TALLOW" receive --name bob --out "$out" --signal "ws://127.0.0.1:$port" \
        --timeout 90
    e2e_wait_until 60 term_has rx "$QRE" || e2e_fail "rx: no offer question for the invitation"
    empty_dir "$out" || e2e_fail "written before the answer"
    term_keys rx y Enter
    e2e_wait_until 90 term_ended rx || e2e_fail "receive did not end"
    e2e_wait_exit send2 30
    [[ $(term_rc rx) == 0 ]] || e2e_fail "receive exited $(term_rc rx)"
    e2e_assert_send_ok send2 1
    e2e_verify_received "$out" "$src/big.bin" "$src/tree"
    ;;
*) e2e_fail "unknown mode $mode" ;;
esac
e2e_pass
