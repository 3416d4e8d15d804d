#!/bin/bash
# run-ping.sh [ping options] ADDRESS: the main job. Creates a fresh throwaway
# Wine prefix (build-ping/prefix), installs our DLLs into it
# (tools/prefix-install.sh), and runs Wine's own `ping` there, which now goes
# through our iphlpapi.dll: our WINEDEBUG=+icmp traces are counted to prove it.
# ADDRESS must be a loopback address (127.0.0.0/8): nothing else is pinged.
#
# With TOOL=1 it runs our icmpping.exe instead (more options: -i ttl, -v tos,
# -f, -S source); ICMP_TRACE=1 shows the traces.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
[ $# -ge 1 ] || { echo "usage: $0 [options] ADDRESS" >&2; exit 2; }
target=${*: -1}
case "$target" in
127.*) ;;
*) echo "run-ping: $target is not a loopback address; only 127.0.0.0/8 is pinged here" >&2; exit 2 ;;
esac
[ -f dlls/iphlpapi/x86_64-windows/iphlpapi.dll ] || { echo "run-ping: build first (./configure && make)" >&2; exit 1; }

export WINEPREFIX=$top/build-ping/prefix
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY WINEDLLOVERRIDES
. tools/wineprefix.sh
rm -rf "$top/build-ping"
mkdir -p "$top/build-ping"
trap wine_stop EXIT

echo "creating a fresh Wine prefix in $WINEPREFIX ..."
wine_fresh_prefix "$top/build-ping/wineboot.log"
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
