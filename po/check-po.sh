#!/bin/sh
# check-po.sh: fail when a translation is incomplete.
#
#   check-po.sh [PO_DIR]
#
# Every catalogue listed in LINGUAS must compile cleanly (msgfmt --check:
# format strings match the original, header is valid) and have no fuzzy and
# no untranslated entries: an entry that is not translated shows up as
# English in the middle of a translated session, so CI should catch it.
set -eu

podir=${1:-$(dirname "$0")}
status=0

if ! command -v msgfmt >/dev/null 2>&1; then
  echo "1..0 # SKIP msgfmt (gettext) is not installed"
  exit 77
fi

langs=$(sed -e 's/#.*//' "$podir/LINGUAS" | tr -s ' \t\n' ' ')
set -- $langs
echo "1..$#"
n=0
for lang in $langs; do
  n=$((n + 1))
  po="$podir/$lang.po"
  if [ ! -f "$po" ]; then
    echo "not ok $n - $lang.po: missing"
    status=1
    continue
  fi
  # msgfmt prints e.g. "120 translated messages, 2 fuzzy translations,
  # 3 untranslated messages." on stderr
  if ! stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1); then
    echo "not ok $n - $lang.po: msgfmt --check failed"
    printf '%s\n' "$stats" | sed 's/^/# /'
    status=1
    continue
  fi
  case "$stats" in
    *fuzzy*|*untranslated*)
      echo "not ok $n - $lang.po: $stats"
      status=1
      ;;
    *)
      echo "ok $n - $lang.po: $stats"
      ;;
  esac
done
exit $status
