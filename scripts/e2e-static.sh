#!/usr/bin/env bash
# End-to-end check of the static build (docs/install.md, "A static build"; docs/performance.md): it is
# static, its `go` proxies pass scripts/e2e-shims.sh against the real Go releases, and it never
# reaches glibc's NSS, which a static glibc binary could only load from the running system's
# own glibc: a host name (`localhost`) is resolved in Rust from /etc/hosts, and the home
# directory comes from $HOME alone. strace shows what each run opens; the default (dynamic)
# build under the same strace is the control that shows the check can fail.
#
# usage: scripts/e2e-static.sh       (needs strace and readelf; E2E_DIR as e2e-shims.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-mirror.sh
. scripts/lib-mirror.sh
for tool in strace readelf; do
  command -v "$tool" >/dev/null || fail "e2e-static.sh needs $tool (apt-get install strace binutils)"
done

static_gopin
release_gopin

step "the static build has no program interpreter and no shared libraries"
headers=$(readelf -lW "$GOPIN_STATIC")
if grep -q INTERP <<<"$headers"; then fail "$GOPIN_STATIC asks for a program interpreter"; fi
if readelf -dW "$GOPIN_STATIC" | grep -q NEEDED; then fail "$GOPIN_STATIC needs shared libraries"; fi
grep -q INTERP < <(readelf -lW "$GOPIN") || fail "the control: $GOPIN should be dynamic"
echo "ok: $GOPIN_STATIC is static; $GOPIN (the default build) is dynamic"

step "the go proxies of the static build (scripts/e2e-shims.sh)"
GOPIN=$GOPIN_STATIC bash scripts/e2e-shims.sh

e2e_start
build_mirror "$E2E_DIR/mirror" "$OLD"
serve_mirror "$E2E_DIR/mirror"
TMP=$(mktemp -d)
trap 'kill "$MIRROR_PID" 2>/dev/null || true; rm -rf "$TMP"' EXIT
PORT=${MIRROR_URL##*:}

# traced NAME BINARY ARGS... : runs BINARY with ARGS under strace (files opened, sockets
# connected) with a bare environment plus $VARS; the trace is $TMP/NAME.trace.
traced() {
  local name=$1
  shift
  env -i "${VARS[@]}" PATH=/usr/bin:/bin \
    strace -f -qq -e trace=openat,open,connect -o "$TMP/$name.trace" "$@"
}
# nss TRACE: the lines of TRACE where glibc's NSS was consulted.
nss() { grep -E 'nsswitch\.conf|libnss_|/etc/passwd' "$1" || true; }

step "an install from http://localhost:$PORT: the name from /etc/hosts, no NSS"
VARS=(HOME="$TMP/home" GOPIN_HOME="$TMP/store" GOPIN_CACHE_DIR="$TMP/cache"
  GOPIN_CONFIG="$TMP/config.toml" GOPIN_INDEX_URL="http://localhost:$PORT/index.json"
  GOPIN_DOWNLOAD_URL="http://localhost:$PORT/")
mkdir -p "$TMP/home"
traced install "$GOPIN_STATIC" -q install "$OLD"
expect_eq "$(env -i "${VARS[@]}" "$GOPIN_STATIC" ls | tr -s ' ' | cut -d ' ' -f1-3)" " go$OLD linux/amd64" \
  "the versions installed from localhost"
grep -q '"/etc/hosts"' "$TMP/install.trace" || fail "the static build did not read /etc/hosts for localhost"
[ -z "$(nss "$TMP/install.trace")" ] || fail "the static build consulted NSS: $(nss "$TMP/install.trace")"
echo "ok: localhost resolved from /etc/hosts; nothing of NSS opened"

step "without /etc/resolv.conf, then with a FIFO /etc/hosts: localhost resolves, other names fail naming the file"
if unshare -m true 2>/dev/null; then
  mkdir -p "$TMP/etc"
  cp -a /etc/. "$TMP/etc/" 2>/dev/null || true
  rm -f "$TMP/etc/resolv.conf"
  VARS=(HOME="$TMP/home" GOPIN_HOME="$TMP/store" GOPIN_CACHE_DIR="$TMP/cache-noresolv"
    GOPIN_CONFIG="$TMP/config.toml" GOPIN_ALLOW_HTTP=1)
  # in_etc CMD...: CMD with $TMP/etc mounted over /etc, in a mount namespace of its own.
  # shellcheck disable=SC2016 # $1 and $@ are the inner shell's
  in_etc() { unshare -m sh -c 'mount --bind "$1" /etc && shift && exec "$@"' sh "$TMP/etc" env -i "${VARS[@]}" "$@"; }
  listed=$(in_etc GOPIN_INDEX_URL="http://localhost:$PORT/index.json" "$GOPIN_STATIC" ls-remote)
  grep -qx "go$OLD" <<<"$listed" || fail "ls-remote from localhost without /etc/resolv.conf: $listed"
  echo "ok: localhost answers without /etc/resolv.conf"
  set +e
  out=$(in_etc GOPIN_INDEX_URL="http://gopin-e2e.invalid:$PORT/index.json" GOPIN_CACHE_DIR="$TMP/cache-x" "$GOPIN_STATIC" ls-remote 2>&1)
  set -e
  case "$out" in
    *"cannot look up gopin-e2e.invalid: /etc/resolv.conf does not exist: add a \`nameserver\` line to it, or the host to /etc/hosts"*) echo "ok: $out" ;;
    *) fail "unexpected message without /etc/resolv.conf: $out" ;;
  esac
  # And a FIFO for /etc/hosts: refused unread (it would block); localhost is loopback anyway.
  rm -f "$TMP/etc/hosts"
  mkfifo "$TMP/etc/hosts"
  listed=$(in_etc GOPIN_INDEX_URL="http://localhost:$PORT/index.json" GOPIN_CACHE_DIR="$TMP/cache-fifo" "$GOPIN_STATIC" ls-remote)
  grep -qx "go$OLD" <<<"$listed" || fail "ls-remote from localhost with a FIFO /etc/hosts: $listed"
  set +e
  out=$(in_etc GOPIN_INDEX_URL="http://gopin-e2e.invalid:$PORT/index.json" GOPIN_CACHE_DIR="$TMP/cache-y" "$(command -v timeout)" 60 "$GOPIN_STATIC" ls-remote 2>&1)
  set -e
  case "$out" in
    *"cannot look up gopin-e2e.invalid: /etc/hosts is a FIFO (named pipe), not a regular file"*) echo "ok: $out" ;;
    *) fail "unexpected message with a FIFO /etc/hosts: $out" ;;
  esac
else
  echo "skipped: no mount namespaces here (unshare -m)"
fi

step "no HOME and no GOPIN_HOME: one sentence, status 1, no password database"
VARS=()
set +e
out=$(traced nohome "$GOPIN_STATIC" ls 2>&1)
status=$?
set -e
expect_eq "$status" 1 "the status without a home"
expect_eq "$out" "gopin: error: cannot find a home directory for gopin's store: set HOME, or set GOPIN_HOME to a writable directory" \
  "the message without a home"
[ -z "$(nss "$TMP/nohome.trace")" ] || fail "the static build consulted NSS: $(nss "$TMP/nohome.trace")"
echo "ok: $out"

step "the control: the default build, under the same strace, does consult NSS for both"
traced control-home "$GOPIN" ls >/dev/null 2>&1 || true
[ -n "$(nss "$TMP/control-home.trace")" ] || fail "the control: the dynamic build looked up no home in NSS"
VARS=(HOME="$TMP/home" GOPIN_HOME="$TMP/store2" GOPIN_CACHE_DIR="$TMP/cache2"
  GOPIN_CONFIG="$TMP/config.toml" GOPIN_INDEX_URL="http://localhost:$PORT/index.json")
traced control-dns "$GOPIN" ls-remote >/dev/null
[ -n "$(nss "$TMP/control-dns.trace")" ] || fail "the control: the dynamic build resolved localhost without NSS"
echo "ok: the default build opens $(nss "$TMP/control-dns.trace" | grep -o '"[^"]*"' | sort -u | head -3 | tr '\n' ' ')"

printf '\n1 passed, 0 failed\n'
