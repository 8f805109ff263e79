# gopin shell hook for zsh. Load it from ~/.zshrc with:
#   eval "$(gopin init zsh)"
# Before each prompt (and right after each cd) the hook asks gopin for the environment only
# when something may have changed: the directory, or a watched file or directory newer than
# this shell's stamp. When nothing changed it runs a few builtin tests and spawns no process.

_GOPIN_BIN=__GOPIN_BIN__
_GOPIN_STAMP=__GOPIN_STAMP_DIR__/$$
# Tells `gopin doctor` the hook is loaded.
export _GOPIN_HOOK=zsh

_gopin_hook() {
  if [[ "${_GOPIN_PWD-}" != "$PWD" ]] || _gopin_stale; then
    eval "$("$_GOPIN_BIN" hook-env zsh --stamp "$_GOPIN_STAMP")"
  fi
}

# True when a file or directory the current selection depends on changed since the last run.
_gopin_stale() {
  local _gopin_path
  for _gopin_path in "${_GOPIN_WATCH[@]-}"; do
    if [[ -n "$_gopin_path" && "$_gopin_path" -nt "$_GOPIN_STAMP" ]]; then
      return 0
    fi
  done
  return 1
}

# add-zsh-hook keeps other hooks and never adds the same function twice.
autoload -Uz add-zsh-hook
add-zsh-hook precmd _gopin_hook
add-zsh-hook chpwd _gopin_hook
