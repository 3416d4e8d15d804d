#!/bin/bash
# run-ping.sh [ping options] ADDRESS: the main job. Creates a fresh throwaway
# Wine prefix (build-ping/prefix), installs our DLLs into it
# (tools/prefix-install.sh), and runs Wine's own `ping` there, which now goes
# through our iphlpapi.dll: our WINEDEBUG=+icmp traces are counted to prove it.
# ADDRESS must be a loopback address (127.0.0.0/8): nothing else is pinged.
#
# With TOOL=1 it runs our icmpping.exe instead (more options: -i ttl, -v tos,
# -f, -S source); ICMP_TRACE=1 shows the traces.
#
# ADDRESS ::1 (`make ping6`): IPv6, through icmpping.exe (Wine's ping knows
# only IPv4), in a prefix whose wineserver is the ICMPv6-capable one of
# `make wineserver-icmpv6` (stock Wine's cannot open ICMPv6 sockets), started
# before anything else of the prefix, as a user would.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
[ $# -ge 1 ] || { echo "usage: $0 [options] ADDRESS" >&2; exit 2; }
target=${*: -1}
. tools/wineprefix.sh
case "$target" in
127.*) ;;
::1)
    TOOL=1
    WINE_SERVER=$(icmpv6_server) || { echo "run-ping: IPv6 needs the ICMPv6-capable wineserver: $WINE_SERVER" >&2; exit 1; }
    export WINE_SERVER ;;
*) echo "run-ping: $target is not a loopback address; only 127.0.0.0/8 and ::1 are pinged here" >&2; exit 2 ;;
esac
[ -f dlls/iphlpapi/x86_64-windows/iphlpapi.dll ] || { echo "run-ping: build first (./configure && make)" >&2; exit 1; }
if ! why=$(icmp_sockets_usable); then
    echo "run-ping: cannot ping: $why" >&2
    exit 1
fi

export WINEPREFIX=$top/build-ping/prefix
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY WINEDLLOVERRIDES
rm -rf "$top/build-ping"
mkdir -p "$top/build-ping"
trap wine_stop EXIT

echo "creating a fresh Wine prefix in $WINEPREFIX ..."
wine_fresh_prefix "$top/build-ping/wineboot.log"
[ -n "${WINE_SERVER:-}" ] && echo "the prefix's wineserver: $WINE_SERVER"
tools/prefix-install.sh install

trace=$top/build-ping/icmp-trace.txt
status=0
if [ "${TOOL:-0}" = 1 ]; then
    WINEDEBUG=-all,+icmp wine tools/ping/x86_64-windows/icmpping.exe --dll system "$@" 2>"$trace" || status=$?
else
    echo "wine ping $*"
    WINEDEBUG=-all,+icmp wine ping "$@" 2>"$trace" || status=$?
fi
[ "${ICMP_TRACE:-0}" = 1 ] && grep 'trace:icmp' "$trace"
requests=$(grep -c "$ICMP_TRACE_SENT" "$trace" || true)
echo
echo "our iphlpapi.dll handled $requests echo requests (WINEDEBUG=+icmp traces in $trace)"
[ "$requests" -gt 0 ] || { echo "run-ping: no request went through our DLL" >&2; exit 1; }
exit $status
