#!/bin/sh
# bench/soak.sh: the soak runs of issue 14, by hand, never in CI (see the
# Soak section of bench/README.md). Needs root (a private network
# namespace, AF_PACKET, AF_XDP) and valgrind for the first part.
#
#   bench/soak.sh [BUILDDIR] [memcheck|flat|all] [-- extra options for soak]
#
# memcheck: _build/bench/soak memcheck under valgrind memcheck: 10^6
#           captured frames with filter swaps, 10^6 injected frames, an XDP
#           socket and a bridge run; fails on any memcheck error or a
#           definite leak.
# flat:     _build/bench/soak flat: capture + inject + bridge at full rate
#           for 10 minutes, RSS and fd count sampled every 5 s; fails when
#           they grow after the warm-up.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-$srcdir/_build}
what=${2:-all}
[ $# -ge 2 ] && shift 2 || shift $#
[ "${1:-}" = "--" ] && shift

soak=$builddir/bench/soak
if [ ! -x "$soak" ]; then
  echo "soak.sh: $soak not built (ninja -C $builddir bench/soak)" >&2
  exit 1
fi

run_memcheck () {
  if ! command -v valgrind >/dev/null 2>&1; then
    echo "soak.sh: valgrind is not installed (apt-get install valgrind)" >&2
    return 77
  fi
  log=$builddir/soak-memcheck.log
  supp=
  # GLib's own suppressions (type system, one-time allocations), where
  # this GLib installs them
  for f in /usr/share/glib-2.0/valgrind/glib.supp; do
    [ -r "$f" ] && supp="$supp --suppressions=$f"
  done
  start=$(date +%s)
  # G_SLICE/G_DEBUG: every GLib allocation through malloc and cleared on
  # free, so memcheck sees each one
  # shellcheck disable=SC2086
  G_SLICE=always-malloc G_DEBUG=gc-friendly \
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
      --errors-for-leak-kinds=definite --error-exitcode=3 --num-callers=40 \
      $supp --suppressions="$srcdir/bench/soak.supp" --log-file="$log" \
      "$soak" memcheck "$@"
  rc=$?
  end=$(date +%s)
  grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost" "$log" | sed 's/^==[0-9]*== */memcheck: /'
  echo "memcheck: $((end - start)) s under valgrind; full report in $log"
  return $rc
}

run_flat () {
  "$soak" flat "$@"
}

status=0
case $what in
  memcheck) run_memcheck "$@" || status=$? ;;
  flat) run_flat "$@" || status=$? ;;
  all)
    run_memcheck "$@" || status=$?
    run_flat "$@" || status=$?
    ;;
  *) echo "usage: $0 [BUILDDIR] [memcheck|flat|all] [-- soak options]" >&2; exit 2 ;;
esac
exit $status
