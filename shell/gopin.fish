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
    # An unchanged prompt costs one `test` (the string comparison and the watched paths
    # together: each builtin call costs fish a few microseconds of its own) and, on fish 3.5
    # and newer, one `path filter -q` of the paths above the pin file that were not there
    # (docs/performance.md says where the microseconds go). Their arguments are written into
    # the handler, escaped by `string escape` (fish reads each back as the very string, any
    # bytes), rather than expanded from the lists at each prompt (`builtin path`: many have a
    # function of their own named `path`): so this is defined anew
    # after each run (_gopin_build_test). fish gives each event handler the status the
    # user's command left, and puts it back after, so this one need not keep it.
    set -l check (string escape -- $_gopin_test)
    set -q check[1]; or set check -n "''"
    set -l appear
    set -q _gopin_appear[1]; and set appear builtin path filter -q -- (string escape -- $_gopin_appear) '; or'
    eval "function _gopin_hook --on-event fish_prompt
        if $appear test \"\$_GOPIN_SEEN\" != \"1|\$PWD\" -o $check
            _gopin_prompt_maybe
        end
    end"

    function _gopin_on_pwd --on-variable PWD
        set -l _gopin_status $status
        _gopin_check
        return $_gopin_status
    end
end

# The prompt's check said "maybe": the string compared again tells a changed environment
# from a changed path. At the first prompt (config.fish has loaded everything by then), and
# whenever something changed (another tool may have changed the environment after gopin
# did), make sure gopin runs last.
function _gopin_prompt_maybe
    if test "$_GOPIN_SEEN" != "1|$PWD"
        set -g _gopin_ordered 1
        _gopin_keep_last
        _gopin_run_now prompt
    else if _gopin_stale
        _gopin_run_now prompt
    end
end
_gopin_define_handlers

# fish 3.5 and newer test the paths above the pin file that were not there with one
# `path filter -q` (see _gopin_build_test), only when there are some (with none it would read
# standard input). Older fish has no `path`: there they are terms of the `test`, and
# _gopin_appear stays empty.
set -g _gopin_has_path 0
builtin -q path 2>/dev/null; and set _gopin_has_path 1

# PATH, Go's variables and gopin's settings decide too (or are what gopin set, which another
# tool may move). Rather than comparing them at each prompt, which costs fish more than all
# its stats, setting or erasing one (in any scope, by any means: `set`, `read`,
# `fish_add_path`, a universal one from any fish) to another value than gopin last ran with
# makes the next check run gopin. (A prompt handler that sets one to the value it has changes
# nothing.)
function _gopin_variable_changed __GOPIN_VAR_EVENTS__
    test "$_gopin_vars" = __GOPIN_VARS_SIG__; or set -g _GOPIN_SEEN ''
end

function _gopin_check
    if test "$_GOPIN_SEEN" != "$_gopin_ordered|$PWD"; or begin
            begin
                set -q _gopin_appear[1]; and builtin path filter -q -- $_gopin_appear; or test $_gopin_test
            end
            and _gopin_stale
        end
        _gopin_run_now
    end
end

# Records what the prompt's check compares against, after the run (so gopin's own changes
# are not taken for someone else's): the directory, the values of the variables that decide
# (for _gopin_variable_changed: whatever changes them, gopin runs again and puts the
# invariant back), and the watched paths as one `test` expression. `prompt`: run from the
# prompt's handler.
function _gopin_run_now
    _gopin_run; or return
    # `1|` once the prompt has made sure gopin's handlers run last (`_gopin_ordered`).
    set -g _GOPIN_SEEN "$_gopin_ordered|$PWD"
    set -g _gopin_vars __GOPIN_VARS_SIG__
    # One of them set in a function's or a block's own scope goes back when that ends,
    # which no event tells: a run from inside one (a cd, a gopin command) makes the next
    # prompt run gopin again. At the prompt, a local is the command line's, which lasts.
    if test "$argv[1]" != prompt
        for v in __GOPIN_VARS__
            set -ql $v; and set -g _GOPIN_SEEN ''
        end
    end
    set -g _gopin_changed
    _gopin_build_test
end

# The `test` expression: a file newer than the stamp or gone, a searched directory newer than
# the stamp. A file that selects inside a searched directory needs no test of its own for
# going away: that changes its directory. A directory that changed without a file that
# selects (`_gopin_changed`: build output) stays newer than the stamp until gopin runs again,
# so instead of its date each of those names is tested there: still there if it was, absent
# if it was.
function _gopin_build_test
    set -g _gopin_test
    for p in $_GOPIN_FILES
        # An absolute path is never read as an operator of `test`.
        string match -q -- '/*' $p; or set p ./$p
        set -a _gopin_test -o $p -nt $_gopin_stamp
        contains -- $p $_GOPIN_KNOWN; or set -a _gopin_test -o ! -e $p
    end
    for p in $_GOPIN_DIRS
        string match -q -- '/*' $p; or set p ./$p
        if not contains -- $p $_gopin_changed
            set -a _gopin_test -o $p -nt $_gopin_stamp
            continue
        end
        test "$p" = /; and set p ''
        for n in $_GOPIN_NAMES
            if contains -- $p/$n $_GOPIN_KNOWN
                set -a _gopin_test -o '(' ! -e $p/$n -a ! -L $p/$n ')'
            else
                set -a _gopin_test -o -e $p/$n
            end
        end
    end
    # A directory that is there ceasing to be one (the installed version an exact pin names:
    # gone, or a link or a file in its place).
    for p in $_GOPIN_PRESENT
        string match -q -- '/*' $p; or set p ./$p
        set -a _gopin_test -o ! -d $p -o -L $p
    end
    # Above the pin file, a path that was not there being there now (a go.work; a go.mod
    # while no module was found) is a change. `path filter -q` tests them all in one builtin
    # (an access call each, cheaper than a `test` term); it is never run without a path,
    # where it would read standard input. Older fish tests each in the expression.
    set -g _gopin_appear
    if test $_gopin_has_path = 1
        set _gopin_appear $_GOPIN_ABSENT
    else
        for p in $_GOPIN_ABSENT
            string match -q -- '/*' $p; or set p ./$p
            set -a _gopin_test -o -e $p
        end
    end
    # Never empty: a false test when nothing is watched.
    set -q _gopin_test[1]; or set _gopin_test -o -n ''
    set -g _gopin_test $_gopin_test[2..-1]
    _gopin_define_handlers
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
        return 1
    else
        return 1
    end
end

# Run when the quick test says "maybe": true when a file that decided changed or went away,
# or when in a searched directory that changed a file that selects appeared or went away (a
# build's output or an editor's swap file changes the directory too, and does not start
# gopin).
function _gopin_stale
    for f in $_GOPIN_FILES
        if test "$f" -nt "$_gopin_stamp"; or not test -e "$f"
            return 0
        end
    end
    for p in $_GOPIN_ABSENT
        test -e "$p"; and return 0
    end
    for p in $_GOPIN_PRESENT
        test -d "$p" -a ! -L "$p"; or return 0
    end
    set -l changed
    for d in $_GOPIN_DIRS
        test "$d" -nt "$_gopin_stamp"; or continue
        set -a changed $d
        # No command substitution here: it costs more than all the tests of a directory.
        test "$d" = /; and set d ''
        for n in $_GOPIN_NAMES
            set -l p $d/$n
            # One stat for each name: a known file (a link, too) still there, a new one not
            # there.
            if contains -- "$p" $_GOPIN_KNOWN
                test -e "$p"; or test -L "$p"; or return 0
            else
                not test -e "$p"; or return 0
            end
        end
    end
    # Nothing that decides changed: from now on, look at those directories' names instead.
    set -g _gopin_changed $changed
    _gopin_build_test
    return 1
end
