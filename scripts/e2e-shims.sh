#!/usr/bin/env bash
# End-to-end check of the go/gofmt proxies (`gopin shims`, docs/ide.md) against real Go
# releases: from directories where no shell hook was ever loaded (an empty environment, as
# cron or an IDE gives), `go build` through the proxy uses each pinned release, a nested module
# that selects the other release gets that one, and children of `go` find the same Go.
#
# usage: scripts/e2e-shims.sh        (E2E_DIR, default target/e2e, caches wheels and archives;
#                                    GOPIN=path: check that binary instead of building one)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

e2e_start
VERSIONS=("$NEW" "$OLD")

if [ -z "${GOPIN:-}" ]; then
  step "building gopin (release)"
  cargo build --release --locked --quiet
  GOPIN=${CARGO_TARGET_DIR:-$PWD/target}/release/gopin
fi
step "checking $GOPIN with the mirror of ${VERSIONS[*]}"
build_mirror "$E2E_DIR/mirror" "${VERSIONS[@]}"
serve_mirror "$E2E_DIR/mirror"
TMP=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$TMP"' EXIT
STORE=$TMP/store

# Only what an IDE or cron would pass down: no hook, no GOROOT, no gopin state.
VARS=(HOME="$TMP/home" GOPIN_HOME="$STORE" GOPIN_CACHE_DIR="$TMP/cache"
  GOPIN_CONFIG="$TMP/config.toml" GOPIN_INDEX_URL="$MIRROR_URL/index.json"
  GOPIN_DOWNLOAD_URL="$MIRROR_URL/" GOPATH="$TMP/gopath" GOCACHE="$TMP/gocache"
  GOFLAGS=-modcacherw)
mkdir -p "$TMP/home"
gopin() { env -i "${VARS[@]}" PATH=/usr/bin:/bin "$GOPIN" "$@"; }

step "installing ${VERSIONS[*]} and linking the proxies"
gopin install "${VERSIONS[@]}"
SHIMS=$(gopin -q shims)
expect_eq "$SHIMS" "$STORE/bin" "the proxies' directory"
# `go` and `gofmt` run from DIR with the proxies first on an otherwise bare PATH.
in_dir() { (cd "$1" && shift && env -i "${VARS[@]}" PATH="$SHIMS:/usr/bin:/bin" "$@"); }

# module DIR GO_LINE: a module whose main prints the Go it was built with, and whose
# go:generate step records the `go` its child finds.
module() {
  mkdir -p "$1"
  printf 'module example.com/m\n\ngo %s\n' "$2" > "$1/go.mod"
  cat > "$1/main.go" <<'GO'
package main

//go:generate sh -c "go version > generated.txt"

import (
	"fmt"
	"runtime"
)

func main() { fmt.Println(runtime.Version()) }
GO
}

# check DIR VERSION: build, run, generate and format through the proxies in DIR.
check() {
  local dir=$1 v=$2 goroot="$STORE/versions/go$2.linux-amd64/go"
  expect_eq "$(in_dir "$dir" go version)" "go version go$v linux/amd64" "go version in $dir"
  expect_eq "$(in_dir "$dir" go env GOROOT GOTOOLCHAIN | tr '\n' ' ')" "$goroot local " "go env in $dir"
  in_dir "$dir" go build -o hello .
  expect_eq "$("$dir/hello")" "go$v" "the binary built in $dir"
  in_dir "$dir" go generate .
  expect_eq "$(cat "$dir/generated.txt")" "go version go$v linux/amd64" "the go that go generate ran in $dir"
  expect_eq "$(in_dir "$dir" gofmt -l .)" "" "gofmt -l in $dir"
  expect_eq "$(cd "$dir" && gopin which --goroot)" "$goroot" "gopin which --goroot in $dir"
  echo "ok: $dir builds with go$v through the proxy"
}

for i in 0 1; do
  v=${VERSIONS[$i]} other=${VERSIONS[$((1 - i))]}
  step "go$v pinned by .go-version, and a nested module that selects go$other"
  proj=$TMP/proj-$v
  module "$proj" "${v%.*}"
  echo "$v" > "$proj/.go-version"
  nested=$proj/nested
  if [ "$i" = 0 ]; then
    # The nested module's own pin (older than the project's, and meeting its go line).
    module "$nested" "${other%.*}"
    echo "$other" > "$nested/.go-version"
  else
    # The nested module's toolchain line (newer than the project's pin).
    module "$nested" "${other%.*}"
    printf '\ntoolchain go%s\n' "$other" >> "$nested/go.mod"
  fi
  check "$proj" "$v"
  check "$nested" "$other"
done

step "a version that is not installed: one line, status 1, no other go"
missing=$TMP/missing
module "$missing" 1.23
set +e
out=$(in_dir "$missing" go build . 2>&1)
status=$?
set -e
echo "$out"
expect_eq "$status" "1" "status with go 1.23 required and not installed"
expect_eq "$(printf '%s\n' "$out" | wc -l)" "1" "lines of output"
case "$out" in
  "gopin: error: "*"requires Go 1.23 or newer"*"gopin install") ;;
  *) fail "unexpected message: $out" ;;
esac

printf '\n1 passed, 0 failed\n'
