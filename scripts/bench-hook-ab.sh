#!/usr/bin/env bash
# The hook's cost per unchanged prompt, two gopin builds side by side (docs/performance.md):
# rounds alternate between them in the same run, each a loop of N hook calls timed inside the
# shell; the figure is the fastest round, less the same loop without the hook.
#
# usage: scripts/bench-hook-ab.sh OLD_GOPIN [NEW_GOPIN]   (NEW: target/release/gopin)
#        ROUNDS=9 N=4000 SHELLS="bash zsh fish" in the environment change the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$(realpath "${1:?usage: scripts/bench-hook-ab.sh OLD_GOPIN [NEW_GOPIN]}")
NEW=$(realpath "${2:-target/release/gopin}")
ROUNDS=${ROUNDS:-9} N=${N:-4000}
H=$(mktemp -d "$PWD/target/bench-ab.XXXXXX")
trap 'rm -rf "$H"' EXIT
# A pin outside any module, and a Go module with its pin, as in bench.sh.
mkdir -p "$H/proj/sub" "$H/mod/sub"
echo 1.22.10 > "$H/proj/.go-version"
echo 1.22.10 > "$H/mod/.go-version"
printf 'module m\n\ngo 1.22.0\n' > "$H/mod/go.mod"
export GOPIN_HOME=$H/store HOME=$H/home XDG_CONFIG_HOME=$H/home/.config
mkdir -p "$GOPIN_HOME/versions" "$HOME"
unset GOROOT GOBIN GOTOOLCHAIN GOWORK _GOPIN_STATE PROMPT_COMMAND XDG_RUNTIME_DIR
# Old dates: nothing watched looks freshly changed (the hook looks again for two seconds).
touch -d '1 hour ago' "$H" "$H/proj" "$H/proj/sub" "$H/proj/.go-version" "$H/mod" "$H/mod/sub" \
  "$H/mod/.go-version" "$H/mod/go.mod" "$GOPIN_HOME/versions"
# A loop as a script for SHELL with gopin BIN in DIR, running BODY N times; it prints the
# nanoseconds per iteration.
loop() {
  case $1 in
    bash) echo "eval \"\$('$2' init bash)\"; cd '$3'; _gopin_hook; s=\$EPOCHREALTIME; for ((i=0;i<$N;i++)); do $4; done; e=\$EPOCHREALTIME; echo \$(( (\${e/./}-\${s/./})*1000/$N ))" ;;
    zsh) echo "zmodload zsh/datetime zsh/mathfunc; eval \"\$('$2' init zsh)\"; cd '$3'; _gopin_hook; s=\$EPOCHREALTIME; for ((i=0;i<$N;i++)); do $4; done; e=\$EPOCHREALTIME; echo \$(( int((e-s)*1e9/$N) ))" ;;
    fish) echo "'$2' init fish | source; cd '$3'; _gopin_hook; set s (date +%s%N); for i in (seq $N); $4; end; set e (date +%s%N); math --scale 0 \"(\$e - \$s) / $N\"" ;;
  esac
}
run() { loop "$@" > "$H/loop"; "$1" "$H/loop" 2>/dev/null | tail -1; }
least() { printf '%s\n' "$@" | sort -g | head -1; }
for sh in ${SHELLS:-bash zsh fish}; do
  command -v "$sh" >/dev/null || { echo "$sh: not installed"; continue; }
  for dir in proj/sub mod/sub; do
    o=() n=() e=()
    for ((r = 0; r < ROUNDS; r++)); do
      o+=("$(run "$sh" "$OLD" "$H/$dir" _gopin_hook)")
      n+=("$(run "$sh" "$NEW" "$H/$dir" _gopin_hook)")
      e+=("$(run "$sh" "$NEW" "$H/$dir" true)")
    done
    awk -v sh="$sh" -v d="$dir" -v e="$(least "${e[@]}")" -v o="$(least "${o[@]}")" -v n="$(least "${n[@]}")" \
      'BEGIN { printf "%-4s %-8s old %5.1f µs   new %5.1f µs   per unchanged prompt\n", sh, d, (o - e) / 1e3, (n - e) / 1e3 }'
  done
done
