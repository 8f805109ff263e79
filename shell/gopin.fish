# gopin shell hook for fish. Load it from ~/.config/fish/config.fish with:
#   gopin init fish | source
# Before each prompt (and right after each cd) the hook asks gopin for the environment only
# when something may have changed: the directory, or a watched file or directory newer than
# this shell's stamp. When nothing changed it runs a few builtin tests and spawns no process.

set -g _gopin_bin __GOPIN_BIN__
set -g _gopin_stamp __GOPIN_STAMP_DIR__/$fish_pid
# Tells `gopin doctor` the hook is loaded.
set -gx _GOPIN_HOOK fish

# Redefining the function replaces its event handlers, so loading this twice is harmless.
function _gopin_hook --on-event fish_prompt --on-variable PWD
    set -l _gopin_status $status
    if test "$_GOPIN_PWD" != "$PWD"; or _gopin_stale
        $_gopin_bin hook-env fish --stamp $_gopin_stamp | source
    end
    return $_gopin_status
end

# True when a file or directory the current selection depends on changed since the last run.
function _gopin_stale
    for _gopin_path in $_GOPIN_WATCH
        if test "$_gopin_path" -nt "$_gopin_stamp"
            return 0
        end
    end
    return 1
end
