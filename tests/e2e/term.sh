# shellcheck shell=bash
# Terminal helpers for the e2e tests (source after lib.sh): a command run on
# a real pseudo-terminal inside a private tmux server, keys typed into it and
# its screen captured. The tmux server runs in the foreground (-D), started
# through e2e_spawn, so e2e_cleanup ends it (and with it the pane's command)
# by PID like any other process of the test.

# term_start NAME COLS ROWS CMD...: runs CMD on a COLS x ROWS terminal; its
# exit status goes to $E2E_TMP/NAME.rc when it ends. The pane stays (with
# its last screen) after the command exits.
term_start()
{
    local name=$1 cols=$2 rows=$3 cmd="" a
    shift 3
    e2e_need tmux
    for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
    TERM_SOCK[$name]=$E2E_TMP/tmux-$name.sock
    e2e_spawn "$name-tmux" - tmux -S "${TERM_SOCK[$name]}" -f /dev/null -D
    e2e_wait_until 10 test -S "${TERM_SOCK[$name]}" || e2e_fail "$name: tmux did not start"
    tmux -S "${TERM_SOCK[$name]}" set-option -g remain-on-exit on >/dev/null 2>&1 || true
    tmux -S "${TERM_SOCK[$name]}" new-session -d -x "$cols" -y "$rows" \
        -e "XDG_STATE_HOME=$XDG_STATE_HOME" -e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" \
        -e TERM=xterm -e "TALLOW_LOG=${TALLOW_LOG:-warn}" \
        "$cmd; echo \$? >$(printf '%q' "$E2E_TMP/$name.rc")" ||
        e2e_fail "$name: tmux new-session failed"
    tmux -S "${TERM_SOCK[$name]}" set-option -g remain-on-exit on >/dev/null
    e2e_log "started $name on a ${cols}x${rows} terminal:$cmd"
}

# term_screen NAME: the visible screen (plain text, trailing blanks dropped).
term_screen() { tmux -S "${TERM_SOCK[$1]}" capture-pane -p -t 0 | sed 's/[[:space:]]*$//'; }

# term_keys NAME KEY...: types keys (tmux send-keys names: Enter, Up, ...).
term_keys() { local n=$1; shift; tmux -S "${TERM_SOCK[$n]}" send-keys -t 0 "$@"; }

# term_ended NAME: true once the command exited (its status is in NAME.rc).
term_ended() { [[ -s $E2E_TMP/$1.rc ]]; }

# term_rc NAME: the command's exit status.
term_rc() { cat "$E2E_TMP/$1.rc"; }

# term_has NAME REGEX: the screen matches REGEX (grep -E).
term_has() { term_screen "$1" | grep -Eq -- "$2"; }

# term_code NAME: sets E2E_CODE from the join code on NAME's screen.
_term_code() { E2E_CODE=$(term_screen "$1" | sed -n 's/^Join code: //p' | head -n 1); [[ -n $E2E_CODE ]]; }
term_code()
{
    e2e_wait_until 20 _term_code "$1" || e2e_fail "$1: no join code on the screen"
    e2e_log "$1 code: $E2E_CODE"
}

declare -A TERM_SOCK=()
