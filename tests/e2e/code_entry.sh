#!/usr/bin/env bash
# Where the join code comes from and where it does not stay (docs/CLI.md
# "Entering the code"): four recipients of one send get the code four ways and
# all verify the file.
#  r1: as an argument, with --turn-user/--turn-pass: /proc/PID/cmdline of the
#      running receive holds neither the code's words nor the password;
#  r2: from TALLOW_CODE (upper case, spaces between the words);
#  r3: one line on stdin (--json, stdin not a terminal);
#  r4: typed at the prompt in a real terminal (tmux): a mistyped word is
#      refused before anything is sent, with the nearest words; a partial word
#      completed with Tab is shown whole on the screen.
#
# usage: code_entry.sh TALLOW [SIZE_MIB]
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size_mib=${2:-4}
e2e_init "$1"
e2e_need tmux

src=$E2E_TMP/src
out=$E2E_TMP/out
e2e_random_file "$src/f.bin" $((size_mib << 20))
# A per-recipient limit keeps r1 running while its command line is read.
e2e_start_send send - "$src/f.bin" --expect 4 --peer-limit 2M --timeout 200
code=$E2E_CODE
head=${code%%@*}
loc=${code#*@}
IFS=- read -ra parts <<<"$head"
((${#parts[@]} == 6)) || e2e_fail "unexpected code layout: $code"

# r1: the code and a TURN password on the command line.
e2e_start_receive r1 - "$code" "$out/r1" --turn-user someone --turn-pass hunter2pass --timeout 200
pid=${E2E_PIDS[r1]}
_scrubbed()
{
    local cmd
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *--out* && $cmd != *"${parts[1]}"* ]]
}
e2e_wait_until 20 _scrubbed || e2e_fail "r1 command line still holds the code: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
for w in "${parts[@]}" hunter2pass; do
    [[ $cmdline != *"$w"* ]] || e2e_fail "r1 /proc/$pid/cmdline holds '$w': $cmdline"
done
e2e_alive r1 || e2e_fail "r1 exited before its command line was read"
e2e_log "r1 cmdline while running: $cmdline"

# r2: TALLOW_CODE, in upper case with spaces and blanks around.
spaced="${parts[*]}"
mkdir -p "$out/r2" "$out/r3" "$out/r4"
e2e_spawn r2 - env "TALLOW_CODE=  ${spaced^^}@$loc " "$E2E_TALLOW" receive --json --out "$out/r2" \
    --timeout 200

# r3: one line on stdin.
printf '%s\n' "$code" >"$E2E_TMP/code.txt"
E2E_STDIN=$E2E_TMP/code.txt e2e_spawn r3 - "$E2E_TALLOW" receive --json --out "$out/r3" --timeout 200

# r4: the prompt in a terminal. The tmux server is ours (its PID is recorded
# for the cleanup trap; closing its terminals ends the receive in the pane);
# the shell in the pane writes the exit status of the receive to a file. (--yes: the offer question is tested in offer.sh)
sock=$E2E_TMP/tmux.sock
tmux -S "$sock" -f /dev/null new-session -d -s code -x 150 -y 30 \
    "$E2E_TALLOW receive --out $out/r4 --yes --timeout 200; echo \$? >$E2E_TMP/r4.rc; sleep 600"
E2E_PIDS[tmux]=$(tmux -S "$sock" display-message -p -t code '#{pid}')
screen() { tmux -S "$sock" capture-pane -p -t code; }
_screen_has() { screen | grep -qF -- "$1"; }
e2e_wait_until 10 _screen_has "Enter the join code:" || e2e_fail "no prompt: $(screen)"

# A mistyped word: refused locally, with the nearest words, and asked again.
last=${parts[5]}
typo=${last:0:2}${last:3} # one letter left out
tmux -S "$sock" send-keys -t code -l "${parts[0]}-${parts[1]}-${parts[2]}-${parts[3]}-${parts[4]}-$typo"
tmux -S "$sock" send-keys -t code Enter
e2e_wait_until 10 _screen_has "'$typo' is not a code word: did you mean" ||
    e2e_fail "no suggestion for '$typo': $(screen)"
screen | grep -F "did you mean" | grep -qw -- "$last" || e2e_fail "'$last' not suggested: $(screen)"
[[ $(screen | grep -c "Enter the join code:") -eq 2 ]] || e2e_fail "not asked again: $(screen)"
e2e_log "typo answered: $(screen | grep -F 'did you mean')"

# Tab completes a partial word: type three letters of the first word of four
# letters or more, press Tab, read the screen. (Three letters can begin
# several words; then the test types the fourth letter, which no two words
# share, and presses Tab again.)
k=1
while ((k < 5 && ${#parts[k]} < 4)); do k=$((k + 1)); done
((${#parts[k]} >= 4)) || e2e_fail "no word of four letters or more in $code"
typed=${parts[0]}
for ((i = 1; i < k; i++)); do typed+=-${parts[i]}; done
tmux -S "$sock" send-keys -t code -l "$typed-${parts[k]:0:3}"
tmux -S "$sock" send-keys -t code Tab
_completed() { screen | tail -n +3 | grep -qF -- "$typed-${parts[k]}-"; }
if ! e2e_wait_until 3 _completed; then
    tmux -S "$sock" send-keys -t code -l "${parts[k]:3:1}"
    tmux -S "$sock" send-keys -t code Tab
    e2e_wait_until 10 _completed || e2e_fail "Tab did not complete '${parts[k]:0:4}': $(screen)"
fi
e2e_log "after Tab: $(screen | grep -F "$typed-" | tail -n 1)"
rest=""
for ((i = k + 1; i <= 5; i++)); do rest+=${parts[i]}-; done
tmux -S "$sock" send-keys -t code -l "${rest%-}@$loc"
tmux -S "$sock" send-keys -t code Enter

e2e_wait_all_exit 200 r1 r2 r3 send
for r in r1 r2 r3; do
    e2e_assert_receive_ok "$r" "$out/$r"
    e2e_verify_received "$out/$r" "$src/f.bin"
done
_r4_done() { [[ -s $E2E_TMP/r4.rc ]]; }
e2e_wait_until 30 _r4_done || e2e_fail "r4 did not finish: $(screen)"
st=$(<"$E2E_TMP/r4.rc")
[[ $st == 0 ]] || e2e_fail "r4 exited $st: $(screen)"
e2e_verify_received "$out/r4" "$src/f.bin"
e2e_reap send
e2e_expect_rc send 0
tmux -S "$sock" kill-server
E2E_RC[tmux]=0
e2e_pass
