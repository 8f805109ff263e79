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
typeset -g _GOPIN_PWD _GOPIN_SIG _GOPIN_SHOWN _GOPIN_GOROOT _GOPIN_FRONT _GOPIN_VERSIONS \
  _GOPIN_SHARED _GOPIN_GUARD _GOPIN_GONE
typeset -ga _GOPIN_FILES _GOPIN_DIRS _GOPIN_KNOWN _GOPIN_NAMES
# Tells `gopin doctor` the hook is loaded.
export _GOPIN_HOOK=zsh

_gopin_hook() {
  if [[ "$_GOPIN_PWD" != "$PWD" || "$_GOPIN_SIG" != __GOPIN_SIG__ ]] \
    || _gopin_drifted || _gopin_stale; then
    _gopin_run
  fi
}

_gopin_run() {
  if [[ -x "$_GOPIN_BIN" ]]; then
    eval "$("$_GOPIN_BIN" hook-env zsh --stamp "$_GOPIN_STAMP" --shown "$_GOPIN_SHOWN")"
    # After the run, so gopin's own changes are not taken for the user's at the next prompt.
    _GOPIN_SIG=__GOPIN_SIG__
  elif [[ -z "$_GOPIN_GONE" ]]; then
    _GOPIN_GONE=1
    print -ru2 -- "gopin: $_GOPIN_BIN is gone (moved or uninstalled), so the hook is off in this shell: reinstall gopin, or remove its init line from your rc file"
  fi
}

# True when the environment is no longer what gopin left: while a version is active, its bin
# directories must lead PATH and GOROOT must be its own (while the guard is on, the guard
# leads PATH and GOROOT is unset); while none is, nothing of the store's may remain.
_gopin_drifted() {
  if [[ -n "$_GOPIN_FRONT" ]]; then
    [[ "${GOROOT-}" == "$_GOPIN_GOROOT" ]] || return 0
    [[ "$PATH" == "$_GOPIN_FRONT" || "$PATH" == "$_GOPIN_FRONT":* ]] && return 1
    return 0
  fi
  [[ -n "$_GOPIN_VERSIONS" ]] || return 1
  [[ ":$PATH:" == *":$_GOPIN_VERSIONS/"* || ":$PATH:" == *":$_GOPIN_SHARED:"* ]] && return 0
  [[ ":$PATH:" == *":$_GOPIN_GUARD:"* ]] && return 0
  [[ "${GOROOT-}" == "$_GOPIN_VERSIONS"/* ]] && return 0
  return 1
}

# True when a file that decided changed or went away, or a version file appeared in a
# searched directory (only directories modified since the last run are looked into).
_gopin_stale() {
  local _gopin_f _gopin_d _gopin_n
  for _gopin_f in "${_GOPIN_FILES[@]}"; do
    [[ "$_gopin_f" -nt "$_GOPIN_STAMP" || ! -e "$_gopin_f" ]] && return 0
  done
  for _gopin_d in "${_GOPIN_DIRS[@]}"; do
    [[ "$_gopin_d" -nt "$_GOPIN_STAMP" ]] || continue
    for _gopin_n in "${_GOPIN_NAMES[@]}"; do
      _gopin_n=${_gopin_d%/}/$_gopin_n
      [[ -e "$_gopin_n" ]] || continue
      (( ${_GOPIN_KNOWN[(Ie)$_gopin_n]} )) || return 0
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
add-zsh-hook chpwd _gopin_hook
