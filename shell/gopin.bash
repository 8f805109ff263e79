# gopin shell hook for bash (3.2 and newer). Load it from ~/.bashrc with:
#   eval "$(gopin init bash)"
# Before each prompt the hook asks gopin for the environment only when something may have
# changed: the directory, or a watched file or directory newer than this shell's stamp. When
# nothing changed it runs a few builtin tests and spawns no process.

_GOPIN_BIN=__GOPIN_BIN__
_GOPIN_STAMP=__GOPIN_STAMP_DIR__/$$
# Tells `gopin doctor` the hook is loaded.
export _GOPIN_HOOK=bash

_gopin_hook() {
  local _gopin_status=$?
  if [ "${_GOPIN_PWD-}" != "$PWD" ] || _gopin_stale; then
    eval "$("$_GOPIN_BIN" hook-env bash --stamp "$_GOPIN_STAMP")"
  fi
  return $_gopin_status
}

# True when a file or directory the current selection depends on changed since the last run.
_gopin_stale() {
  local _gopin_path
  for _gopin_path in ${_GOPIN_WATCH[@]+"${_GOPIN_WATCH[@]}"}; do
    if [ "$_gopin_path" -nt "$_GOPIN_STAMP" ]; then
      return 0
    fi
  done
  return 1
}

# Run first among the prompt commands, so the user's own see the real $?. Works with the
# string form of PROMPT_COMMAND and the array form of bash 5.1+, and only once per shell.
# (The array test uses ${var@a}, which only bash 5.1+ reaches; no subshell at start-up.)
case ";${PROMPT_COMMAND[*]-};" in
  *_gopin_hook*) ;;
  *)
    if [[ -n ${PROMPT_COMMAND+x} ]] \
      && ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) \
      && [[ ${PROMPT_COMMAND@a} == *a* ]]; then
      PROMPT_COMMAND=(_gopin_hook "${PROMPT_COMMAND[@]}")
    else
      # shellcheck disable=SC2128,SC2178 # the string form, by design
      PROMPT_COMMAND="_gopin_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
    fi
    ;;
esac
