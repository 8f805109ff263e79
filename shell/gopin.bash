# gopin shell hook for bash (3.2 and newer). Load it from ~/.bashrc with:
#   eval "$(gopin init bash)"
# Before each prompt the hook checks, with builtins only, whether anything that decides this
# directory's Go changed (the directory, a watched file, a new version file in a searched
# directory, GOWORK or a GOPIN_* setting), or whether the environment drifted from what gopin
# set (another tool or an rc file moved PATH or GOROOT). Only then does it start gopin, which
# prints the difference to apply.

_GOPIN_BIN=__GOPIN_BIN__
_GOPIN_STAMP=__GOPIN_STAMP_DIR__/$$
# Tells `gopin doctor` the hook is loaded; _GOPIN_RAN tells it the hook has run.
export _GOPIN_HOOK=bash

# The prompt check. An unchanged prompt costs one string comparison and one `[[ ]]` of the
# watched paths (docs/performance.md says where the microseconds go). That `[[ ]]` is written
# into _gopin_check after each run (_gopin_define): its operators are parsed once there,
# where a `test` of an array would expand and parse every word at every prompt, which costs
# bash about as much as the stats themselves. _gopin_hook itself, what PROMPT_COMMAND runs,
# stays as it is here, so a wrapper of yours around it (or a copy of it) keeps working.
# The status it was given is kept in a global, not a local: a function without locals has
# no table of its own for each variable it reads to be looked up in first.
_gopin_hook() {
  # shellcheck disable=SC2319 # the status of the user's last command
  _GOPIN_STATUS=$?
  _gopin_check
  return $_GOPIN_STATUS
}

# _gopin_check, as its two halves. The comparison without `-` defaults costs less; under
# `set -u` it would fail on an unset variable, and under `nocasematch` `[[ == ]]` ignores
# case (a cd from p1 to P1 would look like none), so there it takes the longer form, a
# `test` with defaults.
# shellcheck disable=SC2016 # code, expanded when the function runs
_GOPIN_CHECK_HEAD='_gopin_check() {
  if ! if [[ $- == *u* || $BASHOPTS == *nocasematch* ]]; then
    [ "${_GOPIN_SEEN-}" = "$PWD|${PATH-}|"__GOPIN_SIG__ ]
  else
    [[ $_GOPIN_SEEN == "$PWD|$PATH|"__GOPIN_SIG_BARE__ ]]
  fi || { [[ '
# shellcheck disable=SC2016
_GOPIN_CHECK_TAIL=' ]] && _gopin_stale; }; then
    _gopin_run
  fi
}'

# Defines _gopin_check with _GOPIN_TEST as a `[[ ]]` expression: each operator of `test` as
# its `[[ ]]` counterpart (no operand is one of those: paths start with `/` or `./`, the
# stamp holds a `/`, the rest is empty), each operand in single quotes, inside which every
# byte but the quote itself is literal in any locale (no multibyte character has a quote's
# byte in it). An operand with a quote, or with a byte bash uses for its own marks (\001,
# \177), is a reference to its element instead, which costs about half a microsecond
# more: so no path is ever parsed as code.
_gopin_define() {
  local _gopin_e='' _gopin_w _gopin_i=0
  for _gopin_w in ${_GOPIN_TEST[@]+"${_GOPIN_TEST[@]}"}; do
    case $_gopin_w in
      -o) _gopin_e="$_gopin_e ||" ;;
      -a) _gopin_e="$_gopin_e &&" ;;
      '!' | '(' | ')' | -nt | -e | -d | -L | -n) _gopin_e="$_gopin_e $_gopin_w" ;;
      *\'* | *$'\001'* | *$'\177'*) _gopin_e="$_gopin_e \${_GOPIN_TEST[$_gopin_i]}" ;;
      *) _gopin_e="$_gopin_e '$_gopin_w'" ;;
    esac
    _gopin_i=$((_gopin_i + 1))
  done
  eval "$_GOPIN_CHECK_HEAD${_gopin_e:-"-n ''"}$_GOPIN_CHECK_TAIL"
}
_gopin_define

_gopin_run() {
  if [ -x "$_GOPIN_BIN" ]; then
    eval "$("$_GOPIN_BIN" hook-env bash --stamp "$_GOPIN_STAMP" --shown "${_GOPIN_SHOWN-}")"
    _gopin_seen
  elif [ -z "${_GOPIN_GONE-}" ]; then
    _GOPIN_GONE=1
    printf 'gopin: %s is gone (moved or uninstalled), so the hook is off in this shell: reinstall gopin, or remove its init line from your rc file\n' "$_GOPIN_BIN" >&2
  fi
}

# Records what the prompt check compares against, after the run (so gopin's own changes are
# not taken for someone else's): the directory, PATH and the variables that decide, as one
# string (whatever changes them, gopin, another tool or the user, the next prompt runs gopin
# again, which puts the invariant back), and the watched paths as one `test` expression.
_gopin_seen() {
  _GOPIN_SEEN="$PWD|${PATH-}|"__GOPIN_SIG__
  _GOPIN_CHANGED=()
  _gopin_test
}

# The `test` expression: a file newer than the stamp or gone, a searched directory newer than
# the stamp. A file that selects inside a searched directory needs no test of its own for
# going away: that changes its directory. A directory that changed without a file that
# selects (`_GOPIN_CHANGED`: build output) stays newer than the stamp until gopin runs again,
# so instead of its date each of those names is tested there: still there if it was, absent
# if it was.
_gopin_test() {
  _GOPIN_TEST=()
  local _gopin_p _gopin_k _gopin_n _gopin_was
  for _gopin_p in ${_GOPIN_FILES[@]+"${_GOPIN_FILES[@]}"}; do
    # An absolute path is never read as an operator of `test`.
    case $_gopin_p in /*) ;; *) _gopin_p=./$_gopin_p ;; esac
    _GOPIN_TEST+=(-o "$_gopin_p" -nt "$_GOPIN_STAMP")
    _gopin_was=
    for _gopin_k in ${_GOPIN_KNOWN[@]+"${_GOPIN_KNOWN[@]}"}; do
      [ "$_gopin_k" = "$_gopin_p" ] && _gopin_was=1 && break
    done
    [ -n "$_gopin_was" ] || _GOPIN_TEST+=(-o ! -e "$_gopin_p")
  done
  for _gopin_p in ${_GOPIN_DIRS[@]+"${_GOPIN_DIRS[@]}"}; do
    case $_gopin_p in /*) ;; *) _gopin_p=./$_gopin_p ;; esac
    _gopin_was=
    for _gopin_k in ${_GOPIN_CHANGED[@]+"${_GOPIN_CHANGED[@]}"}; do
      [ "$_gopin_k" = "$_gopin_p" ] && _gopin_was=1 && break
    done
    if [ -z "$_gopin_was" ]; then
      _GOPIN_TEST+=(-o "$_gopin_p" -nt "$_GOPIN_STAMP")
      continue
    fi
    for _gopin_n in ${_GOPIN_NAMES[@]+"${_GOPIN_NAMES[@]}"}; do
      _gopin_n=${_gopin_p%/}/$_gopin_n
      _gopin_was=
      for _gopin_k in ${_GOPIN_KNOWN[@]+"${_GOPIN_KNOWN[@]}"}; do
        [ "$_gopin_k" = "$_gopin_n" ] && _gopin_was=1 && break
      done
      if [ -n "$_gopin_was" ]; then
        _GOPIN_TEST+=(-o '(' ! -e "$_gopin_n" -a ! -L "$_gopin_n" ')')
      else
        _GOPIN_TEST+=(-o -e "$_gopin_n")
      fi
    done
  done
  # A directory that is there ceasing to be one (the installed version an exact pin names:
  # gone, or a link or a file in its place).
  for _gopin_p in ${_GOPIN_PRESENT[@]+"${_GOPIN_PRESENT[@]}"}; do
    case $_gopin_p in /*) ;; *) _gopin_p=./$_gopin_p ;; esac
    _GOPIN_TEST+=(-o ! -d "$_gopin_p" -o -L "$_gopin_p")
  done
  # Above the pin file, a path that is not there appearing (a go.work; a go.mod while no
  # module was found): one `stat` each, half of a date's two.
  for _gopin_p in ${_GOPIN_ABSENT[@]+"${_GOPIN_ABSENT[@]}"}; do
    case $_gopin_p in /*) ;; *) _gopin_p=./$_gopin_p ;; esac
    _GOPIN_TEST+=(-o -e "$_gopin_p")
  done
  # Never empty (bash 3.2 under `set -u` refuses an empty array): false when nothing is
  # watched.
  _GOPIN_TEST=(${_GOPIN_TEST[@]+"${_GOPIN_TEST[@]:1}"})
  [ ${#_GOPIN_TEST[@]} -gt 0 ] || _GOPIN_TEST=(-n '')
  _gopin_define
}

# Run when the quick test above says "maybe": true when a file that decided changed or went
# away, or when in a searched directory that changed a file that selects appeared or went
# away (a build's output or an editor's swap file changes the directory too, and does not
# start gopin).
_gopin_stale() {
  local _gopin_f _gopin_d _gopin_n _gopin_k _gopin_was
  local _gopin_changed
  _gopin_changed=()
  for _gopin_f in ${_GOPIN_FILES[@]+"${_GOPIN_FILES[@]}"}; do
    if [ "$_gopin_f" -nt "$_GOPIN_STAMP" ] || [ ! -e "$_gopin_f" ]; then
      return 0
    fi
  done
  for _gopin_f in ${_GOPIN_ABSENT[@]+"${_GOPIN_ABSENT[@]}"}; do
    [ ! -e "$_gopin_f" ] || return 0
  done
  for _gopin_f in ${_GOPIN_PRESENT[@]+"${_GOPIN_PRESENT[@]}"}; do
    [ -d "$_gopin_f" ] && [ ! -L "$_gopin_f" ] || return 0
  done
  for _gopin_d in ${_GOPIN_DIRS[@]+"${_GOPIN_DIRS[@]}"}; do
    [ "$_gopin_d" -nt "$_GOPIN_STAMP" ] || continue
    _gopin_changed[${#_gopin_changed[@]}]=$_gopin_d
    for _gopin_n in ${_GOPIN_NAMES[@]+"${_GOPIN_NAMES[@]}"}; do
      _gopin_n=${_gopin_d%/}/$_gopin_n
      _gopin_was=
      for _gopin_k in ${_GOPIN_KNOWN[@]+"${_GOPIN_KNOWN[@]}"}; do
        [ "$_gopin_k" = "$_gopin_n" ] && _gopin_was=1 && break
      done
      # One stat for each name: a known file (a link, too) still there, a new one not there.
      if [ -n "$_gopin_was" ]; then
        [ -e "$_gopin_n" ] || [ -L "$_gopin_n" ] || return 0
      else
        [ ! -e "$_gopin_n" ] || return 0
      fi
    done
  done
  # Nothing that decides changed: from now on, look at those directories' names instead.
  _GOPIN_CHANGED=(${_gopin_changed[@]+"${_gopin_changed[@]}"})
  _gopin_test
  return 1
}

# `gopin shell 1.22` sets a version for this shell only, which a program cannot do to its
# parent shell: this function evals what the binary prints, then switches at once. Every
# other command, and `gopin shell --help`, goes to the binary untouched (arguments and exit
# status), and then the prompt's check runs, so that `gopin use 1.22 && go build` or
# `gopin install && go build` on one line runs the Go just pinned or installed. (Not in a
# subshell, whose run would re-date this shell's stamp without changing this shell.)
gopin() {
  if [ "${1-}" = shell ] && [[ " $* " != *" -h "* && " $* " != *" --help "* ]]; then
    shift
    local _gopin_out
    _gopin_out=$("$_GOPIN_BIN" shell --eval bash "$@") || return
    eval "$_gopin_out"
    _gopin_run
  else
    local _gopin_s=0
    "$_GOPIN_BIN" "$@" || _gopin_s=$?
    if [ "${BASH_SUBSHELL-0}" = 0 ]; then
      _gopin_hook
    fi
    return $_gopin_s
  fi
}

# bash has no chpwd hook. So that `cd p && go build` runs p's Go, as in zsh and fish, cd,
# pushd and popd switch right away in interactive shells (the prompt check stays for every
# other change). A cd function of yours defined before this line is kept and called; one
# defined after it replaces this wrapper, and the switch then waits for the prompt. Loading
# this twice wraps once.
if [[ $- == *i* && -z ${_GOPIN_WRAPPED-} ]]; then
  for _gopin_cmd in cd pushd popd; do
    _gopin_inner="builtin $_gopin_cmd"
    if declare -F "$_gopin_cmd" >/dev/null; then
      _gopin_def=$(declare -f "$_gopin_cmd")
      eval "_gopin_user_$_gopin_cmd () ${_gopin_def#*$'\n'}"
      _gopin_inner=_gopin_user_$_gopin_cmd
    fi
    # A cd that lands where it started (cd ., a failed pushd) costs one comparison. One in a
    # subshell (`$(cd dir && …)`) runs nothing: its run would re-date this shell's stamp
    # (named by the same `$$`), and an edit made here before it would then look older.
    eval "$_gopin_cmd() { local _gopin_from=\$PWD; $_gopin_inner \"\$@\" || return; if [ \"\$PWD\" != \"\$_gopin_from\" ] && [ \"\${BASH_SUBSHELL-0}\" = 0 ]; then _gopin_hook; fi; }"
  done
  _GOPIN_WRAPPED=1
  unset _gopin_cmd _gopin_inner _gopin_def
fi

# Run last among the prompt commands, so gopin has the final word over tools that change the
# environment before it (direnv, mise); it returns the status it was given, so prompts that
# show $? still see the command's. Works with the string form of PROMPT_COMMAND and the array
# form of bash 5.1+, and only once per shell. (The array test uses ${var@a}, which only bash
# 5.1+ reaches; no subshell at start-up.)
case ";${PROMPT_COMMAND[*]-};" in
  *_gopin_hook*) ;;
  *)
    if [[ -n ${PROMPT_COMMAND+x} ]] \
      && ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) \
      && [[ ${PROMPT_COMMAND@a} == *a* ]]; then
      PROMPT_COMMAND+=(_gopin_hook)
    else
      # shellcheck disable=SC2128,SC2178 # the string form, by design
      # A newline, not ';', so a PROMPT_COMMAND that ends in ';' stays valid.
      PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND
}_gopin_hook"
    fi
    ;;
esac
