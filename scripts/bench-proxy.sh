#!/usr/bin/env bash
# The `go` proxy's overhead (docs/performance.md, "The go proxy"): `go version`
# through `$GOPIN_HOME/bin/go` against the real go it runs, in the same environment (all of it
# runs inside `gopin exec` in the pinned directory, so the difference is the proxy alone), for
# the default build and the static build (docs/install.md, "A static build"). The machines here are
# noisy, so the commands take turns in ROUNDS rounds of RUNS runs each, and the overhead is
# the median of the per-round differences of medians. Then the same with 200 more versions in
# the store. Also part of scripts/bench.sh (section 6).
#
# usage: scripts/bench-proxy.sh [ROUNDS [RUNS]]      (default 10 rounds of 100 runs)
# GOENV_SRC=dir: a checkout of goenv (github.com/go-nv/goenv, not part of this project): its
# shell-script shim for the same version is measured in the same rounds, for reference.
# Writes target/bench/proxy.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

ROUNDS=${1:-10}
RUNS=${2:-100}
VERSION=1.22.10
command -v hyperfine >/dev/null || fail "bench-proxy.sh needs hyperfine (apt-get install hyperfine)"
OUT=$PWD/target/bench
mkdir -p "$OUT"
release_gopin
static_gopin
E2E=$PWD/target/e2e
build_mirror "$E2E/mirror" "$VERSION"
serve_mirror "$E2E/mirror"
W=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$W"' EXIT
export GOPIN_HOME=$W/store GOPIN_CACHE_DIR=$W/cache GOPIN_CONFIG=$W/config.toml
export GOPIN_INDEX_URL=$MIRROR_URL/index.json GOPIN_DOWNLOAD_URL=$MIRROR_URL/
export HOME=$W/home
mkdir -p "$HOME" "$W/proj" "$W/static"
unset GOROOT GOBIN GOTOOLCHAIN _GOPIN_STATE PROMPT_COMMAND GOPROXY GOSUMDB GOPIN_SOURCE_KIND
"$GOPIN" -q install "$VERSION"
kill "$MIRROR_PID"
(cd "$W/proj" && "$GOPIN" -q use "$VERSION")
REAL=$GOPIN_HOME/versions/go$VERSION.linux-amd64/go/bin/go
# The default build's proxies, as `gopin shims` links them; the static build's, the same way.
SHIMS=$("$GOPIN" -q shims)
ln -s "$GOPIN_STATIC" "$W/static/go"

CMDS=("$REAL version" "$SHIMS/go version" "$W/static/go version")
NAMES=("real go" "proxy, default build" "proxy, static build")
GOENV_CMD=""
if [ -n "${GOENV_SRC:-}" ]; then
  # goenv's shims for the same release, which its `rehash` writes into GOENV_ROOT/shims.
  export GOENV_ROOT=$W/goenv
  mkdir -p "$GOENV_ROOT/versions"
  ln -s "$(dirname "$(dirname "$REAL")")" "$GOENV_ROOT/versions/$VERSION"
  PATH=$GOENV_SRC/bin:$PATH goenv rehash
  GOENV_CMD="$GOENV_ROOT/shims/go version"
  [ "$(cd "$W/proj" && $GOENV_CMD)" = "go version go$VERSION linux/amd64" ] || fail "goenv's shim does not run go$VERSION"
fi

# rounds LABEL: ROUNDS rounds of every command in turn, inside `gopin exec` in the project;
# per-round medians go to $OUT/proxy-LABEL.txt, one line per round.
rounds() {
  (cd "$W/proj" && "$GOPIN" exec -- python3 - "$ROUNDS" "$RUNS" "$OUT/proxy-$1.txt" "$GOENV_CMD" "${CMDS[@]}" <<'PY'
import json, os, statistics, subprocess, sys, tempfile
rounds, runs, out, goenv, cmds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
def medians(commands, n):
    fd, f = tempfile.mkstemp()
    os.close(fd)
    subprocess.run(["hyperfine", "-N", "-w", "5", "-r", str(n), "--export-json", f, *commands],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    got = [statistics.median(r["times"]) * 1000 for r in json.load(open(f))["results"]]
    os.unlink(f)
    return got
with open(out, "w") as o:
    for r in range(rounds):
        row = medians(cmds, runs)
        if goenv:
            row += medians([goenv], max(5, runs // 10))
        o.write(" ".join(f"{x:.4f}" for x in row) + "\n")
        print(f"  round {r + 1}/{rounds}: " + " ".join(f"{x:.2f}" for x in row) + " ms", file=sys.stderr)
PY
  )
}
step "go version: ${NAMES[*]}${GOENV_CMD:+ and goenv} ($ROUNDS rounds of $RUNS runs)"
rounds small
# The same with 200 more version directories: resolving an exact pin must not list them.
for ((m = 0; m < 200; m++)); do mkdir -p "$GOPIN_HOME/versions/go1.$((m / 10)).$((m % 10 + 1)).linux-amd64/go"; done
GOENV_CMD=""
ROUNDS=$(((ROUNDS + 1) / 2))
step "the same with 202 versions installed ($ROUNDS rounds)"
rounds big

python3 - "$OUT" "$(uptime | sed 's/.*load average: //')" <<'PY' | tee "$OUT/proxy.md"
import os, statistics, sys
out, load = sys.argv[1], sys.argv[2]
def read(label):
    return [list(map(float, l.split())) for l in open(os.path.join(out, f"proxy-{label}.txt")) if l.strip()]
def over(rows, i):
    d = [r[i] - r[0] for r in rows]
    return statistics.median(d), min(d), max(d)
lines = ["| measure | median | over the real go (median of rounds; range) | ratio |", "|---|---|---|---|"]
for label, suffix in (("small", ""), ("big", ", 202 versions installed")):
    rows = read(label)
    real = statistics.median(r[0] for r in rows)
    lines.append(f"| real go{suffix} | {real:.2f} ms | | |")
    for i, name in ((1, "proxy, default build"), (2, "proxy, static build")):
        m = statistics.median(r[i] for r in rows)
        d, lo, hi = over(rows, i)
        verdict = "ok" if d <= 1.0 else "MISSED"
        lines.append(f"| {name}{suffix} | {m:.2f} ms | **+{d:.2f} ms** ({lo:+.2f} to {hi:+.2f}), target ≤ +1 ms: {verdict} | {m / real:.2f}× |")
    if label == "small" and len(rows[0]) > 3:
        m = statistics.median(r[3] for r in rows)
        lines.append(f"| goenv's shim (bash), for reference | {m:.2f} ms | +{m - real:.2f} ms | {m / real:.1f}× |")
lines.append(f"\n{len(read('small'))} + {len(read('big'))} rounds; load average at the end: {load}.")
print("\n".join(lines))
PY
