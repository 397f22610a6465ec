#!/bin/sh
# run-in-netns.sh PROGRAM ARGS…: runs a test in a fresh, unnamed network
# namespace with IPv6 off (so the kernel sends nothing of its own), for
# binding tests whose language cannot call unshare(2) itself. Skips (77)
# where the privilege is missing.
if ! unshare --net true 2>/dev/null; then
  echo "1..0 # SKIP needs CAP_SYS_ADMIN to create a network namespace (unshare --net)"
  exit 77
fi
exec unshare --net -- sh -c '
  for conf in all default; do
    echo 1 > /proc/sys/net/ipv6/conf/$conf/disable_ipv6 2>/dev/null
  done
  exec "$@"' sh "$@"
