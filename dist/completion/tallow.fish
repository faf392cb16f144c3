# fish completion for tallow(1). Options are read from `tallow CMD --help`.
function __tallow_opts
    set -l cmd (commandline -opc)
    test (count $cmd) -ge 2; or return
    $cmd[1] $cmd[2] --help 2>/dev/null | string match -ar -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u | string replace -- '--' ''
end

set -l cmds send receive signal bench help
complete -c tallow -f
complete -c tallow -n "not __fish_seen_subcommand_from $cmds" -a send -d 'send files to a group of recipients'
complete -c tallow -n "not __fish_seen_subcommand_from $cmds" -a receive -d 'receive files by join code or invitation'
complete -c tallow -n "not __fish_seen_subcommand_from $cmds" -a signal -d 'run a signaling server'
complete -c tallow -n "not __fish_seen_subcommand_from $cmds" -a bench -d 'benchmarks'
complete -c tallow -n "not __fish_seen_subcommand_from $cmds" -a help -d 'print the options of a command'
complete -c tallow -n "not __fish_seen_subcommand_from $cmds" -l help -d 'print the commands'
complete -c tallow -n "not __fish_seen_subcommand_from $cmds" -s V -l version -d 'print the version'
complete -c tallow -n "__fish_seen_subcommand_from help" -a "send receive signal bench"
complete -c tallow -n "__fish_seen_subcommand_from bench; and not __fish_seen_subcommand_from dc kem group" -a "dc kem group"
complete -c tallow -n "__fish_seen_subcommand_from send receive signal bench" -a "--(__tallow_opts)"
complete -c tallow -n "__fish_seen_subcommand_from send" -F
complete -c tallow -n "__fish_seen_subcommand_from receive" -l out -r -a "(__fish_complete_directories)"
complete -c tallow -n "__fish_seen_subcommand_from signal" -l config -r -F
