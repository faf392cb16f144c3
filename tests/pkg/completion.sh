#!/usr/bin/env bash
# Shell completions complete subcommands and the options of the real binary:
# bash (through bash-completion's _init_completion) and fish run for real;
# zsh is checked for syntax only (its completion system needs a terminal).
# usage: completion.sh TALLOW SOURCE_DIR
set -euo pipefail
tallow=$(readlink -f "$1") src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
ln -s "$tallow" "$tmp/bin/tallow"
export PATH=$tmp/bin:$PATH
status=0
fail() { echo "FAIL: $*"; status=1; }

if [ -f /usr/share/bash-completion/bash_completion ]; then
    bash_complete() { # words... (the last one is being completed)
        bash -c '
            source /usr/share/bash-completion/bash_completion
            source "$0"
            COMP_WORDS=("${@}"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _tallow tallow "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf "%s\n" "${COMPREPLY[@]}"' "$src/dist/completion/tallow.bash" "$@"
    }
    out=$(bash_complete tallow se)
    [ "$out" = send ] || fail "bash: 'tallow se' -> '$out'"
    out=$(bash_complete tallow send --max)
    [ "$out" = --max-failed-keys ] || fail "bash: 'tallow send --max' -> '$out'"
    out=$(bash_complete tallow signal --con)
    [ "$out" = --config ] || fail "bash: 'tallow signal --con' -> '$out'"
    out=$(bash_complete tallow bench g)
    [ "$out" = group ] || fail "bash: 'tallow bench g' -> '$out'"
    # Every option of --help is offered.
    for cmd in send receive signal; do
        want=$("$tallow" "$cmd" --help | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u)
        got=$(bash_complete tallow "$cmd" -- | grep -vx -- --help | sort -u)
        [ "$want" = "$got" ] || fail "bash: options of $cmd differ from --help"
    done
else
    fail "bash-completion is not installed"
fi

if command -v fish >/dev/null; then
    fish_complete() { fish -N -c "source $src/dist/completion/tallow.fish; complete -C '$1'" | cut -f1; }
    out=$(fish_complete "tallow rec")
    [ "$out" = receive ] || fail "fish: 'tallow rec' -> '$out'"
    out=$(fish_complete "tallow receive --overw")
    [ "$out" = --overwrite ] || fail "fish: 'tallow receive --overw' -> '$out'"
else
    fail "fish is not installed"
fi

if command -v zsh >/dev/null; then
    zsh -n "$src/dist/completion/_tallow" || fail "zsh: syntax"
else
    fail "zsh is not installed"
fi
[ $status -eq 0 ] && echo "ok: bash, fish complete commands and options; zsh parses"
exit $status
