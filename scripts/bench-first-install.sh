#!/usr/bin/env bash
# A first install (go.dev archive into an empty store) by two gopin builds, side by side
# (docs/performance.md): rounds alternate between them, each starting with the other build,
# so the disk's fast and slow spells fall on both; reported per round as a ratio, and as the
# median and the fastest of each build. Peak RSS of each build's install too.
#
# usage: scripts/bench-first-install.sh OLD_GOPIN [ROUNDS]   (ROUNDS: default 10)
#        NEW_GOPIN (default: this tree's release build) and VERSION (1.26.5) in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh
OLD=$(realpath "${1:?usage: scripts/bench-first-install.sh OLD_GOPIN [ROUNDS]}"); shift
ROUNDS=${1:-10}
VERSION=${VERSION:-1.26.5}
if [ -z "${NEW_GOPIN:-}" ]; then
  release_gopin
  NEW_GOPIN=$GOPIN
fi
E2E=$PWD/target/e2e/store-bench
build_mirror "$E2E/mirror" "$VERSION"
serve_mirror "$E2E"
W=$(mktemp -d "$PWD/target/bench-first.XXXXXX")
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$W"' EXIT
export GOPIN_INDEX_URL=$MIRROR_URL/mirror/index.json GOPIN_DOWNLOAD_URL=$MIRROR_URL/mirror/
export GOPIN_CACHE_DIR=$W/cache GOPIN_CONFIG=$W/config.toml HOME=$W/home
unset GOPROXY GOSUMDB GOPIN_SOURCE_KIND
mkdir -p "$HOME"
GOPIN_HOME=$W/warm "$NEW_GOPIN" ls-remote >/dev/null # the index cache: only the archive is timed
# one BIN: seconds and peak kB of a first install into an empty store.
one() {
  rm -rf "$W/store"
  sync
  GOPIN_HOME=$W/store /usr/bin/time -f '%e %M' -o "$W/t" "$1" -q install "$VERSION" >/dev/null
  cat "$W/t"
}
: > "$W/rounds"
for ((r = 0; r <= ROUNDS; r++)); do
  if ((r % 2)); then read -r to ro < <(one "$OLD"); read -r tn rn < <(one "$NEW_GOPIN")
  else read -r tn rn < <(one "$NEW_GOPIN"); read -r to ro < <(one "$OLD"); fi
  ((r == 0)) && continue # warm-up
  echo "$to $tn $ro $rn" | tee -a "$W/rounds"
done
python3 - "$W/rounds" "$VERSION" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
med = lambda i: statistics.median(r[i] for r in rows)
ratios = sorted(r[1] / r[0] for r in rows)
print(f"first install of go{sys.argv[2]}, {len(rows)} alternating rounds:")
print(f"  old: median {med(0):.2f} s, fastest {min(r[0] for r in rows):.2f} s, peak RSS {max(r[2] for r in rows)/1024:.1f} MB")
print(f"  new: median {med(1):.2f} s, fastest {min(r[1] for r in rows):.2f} s, peak RSS {max(r[3] for r in rows)/1024:.1f} MB")
print(f"  new/old per round: median {statistics.median(ratios):.2f}x, range {ratios[0]:.2f}-{ratios[-1]:.2f}x;"
      f" fastest against fastest {min(r[1] for r in rows)/min(r[0] for r in rows):.2f}x")
PY
