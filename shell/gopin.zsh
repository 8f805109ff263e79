# gopin shell hook for zsh. Load it from ~/.zshrc with:
#   eval "$(gopin init zsh)"
# Before each prompt (and right after each cd) the hook checks, with builtins only, whether
# anything that decides this directory's Go changed (the directory, a watched file, a new
# version file in a searched directory, GOWORK or a GOPIN_* setting), or whether the
# environment drifted from what gopin set (another tool or an rc file moved PATH or GOROOT).
# Only then does it start gopin, which prints the difference to apply.

typeset -g _GOPIN_BIN=__GOPIN_BIN__
typeset -g _GOPIN_STAMP=__GOPIN_STAMP_DIR__/$$
# The hook's bookkeeping, declared here so that setting it inside the hook is not "creating
# a global in a function" (warn_create_global).
typeset -g _GOPIN_PWD _GOPIN_SEEN _GOPIN_SHOWN _GOPIN_GONE
typeset -g _GOPIN_DATES=-
typeset -ga _GOPIN_FILES _GOPIN_DIRS _GOPIN_KNOWN _GOPIN_NAMES _GOPIN_WATCH _GOPIN_ABSENT
typeset -ga _GOPIN_M
# Tells `gopin doctor` the hook is loaded.
export _GOPIN_HOOK=zsh
# EPOCHSECONDS, and zstat alone of zsh/stat (its `stat` builtin would hide the stat command;
# one the user loaded stays as it was), for the prompt's check of the watched paths' dates.
# Without either, every prompt takes the stamp's slower check instead.
zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null
zmodload -F zsh/stat b:zstat 2>/dev/null

# An unchanged prompt costs one string comparison and one zstat of the watched paths
# (docs/performance.md says where the microseconds go).
_gopin_hook() {
  emulate -L zsh
  # `emulate -L zsh` turns `nounset` off here, so the variables need no `-` defaults.
  if [[ $_GOPIN_SEEN != "$PWD|$PATH|"__GOPIN_SIG_BARE__ ]]; then
    _gopin_run
  elif { (( $#_GOPIN_WATCH )) && ! { builtin zstat -A _GOPIN_M +mtime -- "${_GOPIN_WATCH[@]}" 2>&- \
    && [[ ${(j: :)_GOPIN_M} == "$_GOPIN_DATES" ]] } } || { (( $#_GOPIN_ABSENT )) && _gopin_appeared }; then
    # The watched paths' dates, in whole seconds, one stat each and none of the stamp,
    # against those recorded (_gopin_dates); a path gone fails zstat, whose message goes
    # nowhere. A path in _GOPIN_ABSENT (a link whose target is not there, the file GOWORK
    # names, an exact pin's version in a store without `versions/` yet) is tested for
    # appearing, which may change no date that is watched. Any difference means "maybe",
    # which the stamp then decides to the nanosecond; if nothing that decides changed, the
    # dates seen now are the ones to compare with from here on.
    local _gopin_t=$EPOCHSECONDS
    if _gopin_stale; then
      _gopin_run
    else
      _gopin_dates $_gopin_t
    fi
  fi
}

# After a cd, but not in a subshell (`$(cd dir && …)`): its run would re-date this shell's
# stamp (named by the same `$$`) for a directory this shell is not in, and an edit made here
# before it would then look older than the stamp.
_gopin_chpwd() {
  (( ZSH_SUBSHELL )) || _gopin_hook
}

# True when a path of _GOPIN_ABSENT is there.
_gopin_appeared() {
  local _gopin_p
  for _gopin_p in "${_GOPIN_ABSENT[@]}"; do
    [[ -e $_gopin_p ]] && return 0
  done
  return 1
}

# Records the watched paths' dates for the prompt's comparison, if every one is at least
# three seconds older than SINCE (when the last look began): a date that recent could still
# be the date of a change made after the look, within the same second. Until then none is
# recorded, and each prompt takes the stamp's check, which records them once they are old.
_gopin_dates() {
  local _gopin_d
  _GOPIN_DATES=-
  (( ${+EPOCHSECONDS} && $#_GOPIN_WATCH )) || return 0
  builtin zstat -A _GOPIN_M +mtime -- "${_GOPIN_WATCH[@]}" 2>&- || return 0
  for _gopin_d in "${_GOPIN_M[@]}"; do
    (( _gopin_d <= $1 - 3 )) || return 0
  done
  _GOPIN_DATES=${(j: :)_GOPIN_M}
}

_gopin_run() {
  # Also called from `gopin shell`, under the user's options (sh_glob, ksh_arrays).
  emulate -L zsh
  if [[ -x "$_GOPIN_BIN" ]]; then
    local _gopin_t=$EPOCHSECONDS
    eval "$("$_GOPIN_BIN" hook-env zsh --stamp "$_GOPIN_STAMP" --shown "$_GOPIN_SHOWN")"
    # After the run, so gopin's own changes are not taken for someone else's at the next
    # prompt: the directory, PATH and the variables that decide, as one string (whatever
    # changes them, gopin runs again and puts the invariant back), and the paths to watch.
    _GOPIN_SEEN="$PWD|$PATH|"__GOPIN_SIG__
    _GOPIN_WATCH=("${_GOPIN_FILES[@]}" "${_GOPIN_DIRS[@]}")
    _gopin_dates $_gopin_t
  elif [[ -z "$_GOPIN_GONE" ]]; then
    _GOPIN_GONE=1
    print -ru2 -- "gopin: $_GOPIN_BIN is gone (moved or uninstalled), so the hook is off in this shell: reinstall gopin, or remove its init line from your rc file"
  fi
}

# Run when the quick check says "maybe": true when a file that decided changed or went away,
# or when in a searched directory that changed a file that selects appeared or went away (a
# build's output or an editor's swap file changes the directory too, and does not start
# gopin).
_gopin_stale() {
  local _gopin_f _gopin_d _gopin_n
  for _gopin_f in "${_GOPIN_FILES[@]}"; do
    [[ "$_gopin_f" -nt "$_GOPIN_STAMP" || ! -e "$_gopin_f" ]] && return 0
  done
  # A link to a file that was not there (a go.work above the pin): its target appearing.
  for _gopin_f in "${_GOPIN_ABSENT[@]}"; do
    [[ -e "$_gopin_f" ]] && return 0
  done
  for _gopin_d in "${_GOPIN_DIRS[@]}"; do
    [[ "$_gopin_d" -nt "$_GOPIN_STAMP" ]] || continue
    for _gopin_n in "${_GOPIN_NAMES[@]}"; do
      _gopin_n=${_gopin_d%/}/$_gopin_n
      # One stat for each name: a known file (a link, too) still there, a new one not there.
      if (( ${_GOPIN_KNOWN[(Ie)$_gopin_n]} )); then
        [[ -e "$_gopin_n" || -L "$_gopin_n" ]] || return 0
      else
        [[ ! -e "$_gopin_n" ]] || return 0
      fi
    done
  done
  return 1
}

# `gopin shell 1.22` sets a version for this shell only, which a program cannot do to its
# parent shell: this function evals what the binary prints, then switches at once. Every
# other command, and `gopin shell --help`, goes to the binary untouched (arguments and exit
# status), and then the prompt's check runs, so that `gopin use 1.22 && go build` or
# `gopin install && go build` on one line runs the Go just pinned or installed. (Not in a
# subshell, whose run would re-date this shell's stamp without changing this shell.)
gopin() {
  if [[ "${1-}" == shell && " $* " != *" -h "* && " $* " != *" --help "* ]]; then
    shift
    local _gopin_out
    _gopin_out=$("$_GOPIN_BIN" shell --eval zsh "$@") || return
    eval "$_gopin_out"
    _gopin_run
  else
    local _gopin_s=0
    "$_GOPIN_BIN" "$@" || _gopin_s=$?
    (( ZSH_SUBSHELL )) || _gopin_hook
    return $_gopin_s
  fi
}

# Last among the prompt hooks (add-zsh-hook appends), so gopin has the final word over tools
# that change the environment before it; add-zsh-hook never adds the same function twice.
autoload -Uz add-zsh-hook
add-zsh-hook precmd _gopin_hook
add-zsh-hook chpwd _gopin_chpwd
