#!/bin/sh
# dev.sh: the two things a fresh Debian 12 machine needs, as in README.md.
#
#   build-aux/dev.sh demo   install what is missing, build, run `netring demo`
#   build-aux/dev.sh test   install what is missing, build, run every test:
#                           unit, privileged (netns + veth), bindings (Python,
#                           Vala), docs and translations, then the C tests
#                           again under AddressSanitizer + UBSan, then a
#                           short fuzzing pass (tests/fuzz)
#
# Privileged steps run through sudo when not root. When running as root a
# skipped privileged test is a failure: there, nothing may be skipped.
set -eu

cd "$(dirname "$0")/.."

PACKAGES="meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev gobject-introspection
libgirepository1.0-dev valac gtk-doc-tools gettext libpcap-dev libbpf-dev libxdp-dev
python3 python3-gi gjs iproute2 ethtool tshark tcpdump libsoup-3.0-dev python3-prometheus-client
clang-14 libfuzzer-14-dev"

if [ "$(id -u)" = 0 ]; then
  AS_ROOT=""
else
  AS_ROOT="sudo"
fi

install_missing () {
  missing=""
  for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $p"
    fi
  done
  if [ -n "$missing" ]; then
    echo "Installing:$missing"
    $AS_ROOT apt-get update -q
    # Through env, not before sudo: sudo resets the environment, and
    # wireshark-common (for tshark) asks a debconf question (setuid
    # dumpcap) that would otherwise wait for an answer; noninteractive
    # takes its default, no.
    $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
  fi
}

build () {
  builddir=$1
  shift
  if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$@"
  fi
  ninja -C "$builddir"
}

# Fails when a test of @suite was skipped although we are root.
no_skips () {
  builddir=$1
  [ "$(id -u)" = 0 ] || return 0
  /usr/bin/python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
skipped = [t["name"] for t in map(json.loads, open(sys.argv[1])) if t["result"] == "SKIP"]
if skipped:
    sys.exit("running as root, yet these tests were skipped: " + ", ".join(skipped))
PY
}

# --- fuzzing (tests/fuzz/README.md) -----------------------------------------
# Every fuzz target for FUZZ_SECONDS on its corpus, built with clang-14 and
# libFuzzer (+ ASan, UBSan) in _fuzz. New inputs go to a scratch directory,
# never into the committed corpus. A crash, leak, sanitizer report or an
# input running longer than 10 s fails; its input is kept in _fuzz/.
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

fuzz_pass () {
  if [ ! -f _fuzz/build.ninja ]; then
    CC=clang-14 meson setup _fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
      -Db_lundef=false -Dintrospection=disabled -Ddocumentation=false
  fi
  ninja -C _fuzz fuzzers
  scratch=$(mktemp -d)
  for source in tests/fuzz/fuzz-*.c; do
    target=$(basename "$source" .c)
    name=${target#fuzz-}
    mkdir "$scratch/$name"
    if ! "_fuzz/tests/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
        -dict="tests/fuzz/$name.dict" -artifact_prefix="_fuzz/$target-" \
        "$scratch/$name" "tests/fuzz/corpus/$name" >"$scratch/$name.log" 2>&1; then
      tail -n 60 "$scratch/$name.log"
      echo "fuzz: $target failed; the input is in _fuzz/$target-*" >&2
      rm -rf "$scratch"
      return 1
    fi
    echo "fuzz: $target: $(grep '^Done' "$scratch/$name.log")"
  done
  rm -rf "$scratch"
}
# --- end of fuzzing ----------------------------------------------------------

case "${1:-}" in
  demo)
    install_missing
    build _build
    $AS_ROOT ./_build/tools/netring demo
    ;;
  test)
    install_missing
    build _build
    $AS_ROOT meson test -C _build --no-rebuild --print-errorlogs
    no_skips _build
    # The C tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
    # Introspection is off there: the GIR scanner cannot run ASan binaries.
    build _asan -Db_sanitize=address,undefined -Db_lundef=false -Dintrospection=disabled \
      -Ddocumentation=false
    $AS_ROOT meson test -C _asan --no-rebuild --print-errorlogs --suite unit --suite privileged
    no_skips _asan
    # Fuzzing: a short run of every target (tests/fuzz/README.md).
    fuzz_pass
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
