# bash completion for tallow(1). Options are read from `tallow CMD --help`,
# so they always match the installed binary.
_tallow()
{
    local cur prev words cword
    _init_completion || return
    local cmds="send receive signal bench help"
    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi
    local cmd=${words[1]}
    case $cmd in
    help)
        [[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "send receive signal bench" -- "$cur"))
        return
        ;;
    bench)
        if [[ $cword -eq 2 ]]; then
            COMPREPLY=($(compgen -W "dc kem group" -- "$cur"))
            return
        fi
        ;;
    send | receive | signal) ;;
    *) return ;;
    esac
    case $prev in
    --out) _filedir -d; return ;;
    --session | --config | --cert | --key) _filedir; return ;;
    --to | --expect | --signal | --listen | --limit | --peer-limit | --turn | --turn-user | \
        --turn-pass | --stun | --bind | --timeout | --max-failed-keys | --name | --redis | \
        --max-group | --max-msg | --rate | --idle-timeout | --grace | --snapshot-every | \
        --size | --msg | --conns | --time | --recipients | --sender-fingerprint)
        return ;;
    esac
    if [[ $cur == -* ]]; then
        local opts
        opts=$("${words[0]}" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u)
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
        return
    fi
    [[ $cmd == send ]] && _filedir
}
complete -F _tallow tallow
