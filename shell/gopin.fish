# gopin shell hook for fish. Load it from ~/.config/fish/config.fish with:
#   gopin init fish | source
# Before each prompt (and right after each cd) the hook checks, with builtins only, whether
# anything that decides this directory's Go changed (the directory, a watched file, a new
# version file in a searched directory, GOWORK or a GOPIN_* setting), or whether the
# environment drifted from what gopin set (another tool or an rc file moved PATH or GOROOT).
# Only then does it start gopin, which prints the difference to apply.

set -g _gopin_bin __GOPIN_BIN__
set -g _gopin_stamp __GOPIN_STAMP_DIR__/$fish_pid
# Tells `gopin doctor` the hook is loaded.
set -gx _GOPIN_HOOK fish

# fish runs an event's handlers in the order they were defined, and redefining a function
# moves its handlers to the end. gopin's must come last, after tools that change the
# environment (direnv, mise) whatever the order of their lines in config.fish: this
# (re)defines them, at load and whenever something was defined after them. Loading this
# twice is harmless.
function _gopin_define_handlers
    function _gopin_hook --on-event fish_prompt
        set -l _gopin_status $status
        # At the first prompt (config.fish has loaded everything by then), and whenever
        # something changed the environment after gopin did, make sure gopin runs last.
        if not set -q _gopin_ordered; or _gopin_drifted
            set -g _gopin_ordered 1
            _gopin_keep_last
            _gopin_run_now
        else if _gopin_changed
            _gopin_run_now
        end
        return $_gopin_status
    end

    function _gopin_on_pwd --on-variable PWD
        set -l _gopin_status $status
        _gopin_check
        return $_gopin_status
    end
end
_gopin_define_handlers

function _gopin_check
    if _gopin_changed; or _gopin_drifted
        _gopin_run_now
    end
end

# True when the directory, a setting, or a file that decides changed.
function _gopin_changed
    test "$_GOPIN_PWD" != "$PWD"; or test "$_GOPIN_SIG" != __GOPIN_SIG__; or _gopin_stale
end

function _gopin_run_now
    _gopin_run
    # After the run, so gopin's own changes are not taken for the user's at the next prompt.
    set -g _GOPIN_SIG __GOPIN_SIG__
end

function _gopin_keep_last
    set -l pwd_handlers (string match -- 'PWD *' (functions --handlers-type variable))
    set -l prompt_handlers (string match -- 'fish_prompt *' (functions --handlers-type generic))
    if test "$pwd_handlers[-1]" != "PWD _gopin_on_pwd"; or test "$prompt_handlers[-1]" != "fish_prompt _gopin_hook"
        _gopin_define_handlers
    end
end

# `gopin shell 1.22` sets a version for this shell only, which a program cannot do to its
# parent shell: this function sources what the binary prints, then switches at once. Every
# other command, and `gopin shell --help`, goes to the binary untouched (arguments and exit
# status), and then the prompt's check runs, so that `gopin use 1.22; and go build` or
# `gopin install; and go build` on one line runs the Go just pinned or installed.
function gopin
    if test "$argv[1]" = shell; and not contains -- --help $argv; and not contains -- -h $argv
        set -l _gopin_out ($_gopin_bin shell --eval fish $argv[2..-1]); or return
        string join \n -- $_gopin_out | source
        _gopin_run_now
    else
        $_gopin_bin $argv
        set -l _gopin_status $status
        _gopin_check
        return $_gopin_status
    end
end

function _gopin_run
    if test -x "$_gopin_bin"
        $_gopin_bin hook-env fish --stamp $_gopin_stamp --shown "$_GOPIN_SHOWN" | source
    else if not set -q _GOPIN_GONE
        set -g _GOPIN_GONE 1
        echo "gopin: $_gopin_bin is gone (moved or uninstalled), so the hook is off in this shell: reinstall gopin, or remove its init line from your rc file" >&2
    end
end

# True when the environment is no longer what gopin left: while a version is active, its bin
# directories must lead PATH and GOROOT must be its own (while the guard is on, the guard
# leads PATH and GOROOT is unset); while none is, nothing of the store's may remain.
function _gopin_drifted
    if set -q _GOPIN_FRONT_PATH[1]
        test "$GOROOT" = "$_GOPIN_GOROOT"; or return 0
        test "$PATH[1..$_GOPIN_NFRONT]" = "$_GOPIN_FRONT_PATH"; and return 1
        return 0
    end
    test -n "$_GOPIN_VERSIONS"; or return 1
    # Literal matches (`string replace -q` without -r): store paths are not patterns.
    string replace -q -- "$_GOPIN_VERSIONS/" "" $PATH "$GOROOT"; and return 0
    contains -- "$_GOPIN_SHARED" $PATH; and return 0
    contains -- "$_GOPIN_GUARD" $PATH; and return 0
    return 1
end

# True when a file that decided changed or went away, or a version file appeared in a
# searched directory (only directories modified since the last run are looked into).
function _gopin_stale
    for f in $_GOPIN_FILES
        if test "$f" -nt "$_gopin_stamp"; or not test -e "$f"
            return 0
        end
    end
    for d in $_GOPIN_DIRS
        test "$d" -nt "$_gopin_stamp"; or continue
        for n in $_GOPIN_NAMES
            set -l p (string trim -r -c / -- $d)/$n
            test -e "$p"; or continue
            contains -- "$p" $_GOPIN_KNOWN; or return 0
        end
    end
    return 1
end
