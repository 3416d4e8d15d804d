#!/bin/bash
# run-ping.sh [icmpping options] ADDRESS: pings through our iphlpapi.dll under
# Wine, in a fresh throwaway prefix (build-ping/prefix), printing replies the
# way Windows ping does. ADDRESS must be a loopback address (127.0.0.0/8):
# this script sends nowhere else.
#
# The prefix is booted first without any DLL override, so that Wine's own
# services keep Wine's builtin iphlpapi; then only the ping process gets
# WINEDLLOVERRIDES=iphlpapi=n, which makes Wine map our file (the tool checks
# that the mapped image is our file and says so). With ICMP_TRACE=1 the run
# also shows WINEDEBUG=+icmp traces from our DLL.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
arch=${ARCH:-x86_64}
[ $# -ge 1 ] || { echo "usage: $0 [options] ADDRESS" >&2; exit 2; }
target=${*: -1}
case "$target" in
127.*) ;;
*) echo "run-ping: $target is not a loopback address; only 127.0.0.0/8 is pinged here" >&2; exit 2 ;;
esac
dll=$top/dlls/iphlpapi/$arch-windows/iphlpapi.dll
exe=$top/tools/ping/$arch-windows/icmpping.exe
[ -f "$dll" ] && [ -f "$exe" ] || { echo "run-ping: build first (./configure && make)" >&2; exit 1; }

export WINEPREFIX=$top/build-ping/prefix
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY
wineserver -k 2>/dev/null || true
rm -rf "$top/build-ping"
mkdir -p "$WINEPREFIX"
trap 'wineserver -k 2>/dev/null || true' EXIT
echo "creating a fresh Wine prefix in $WINEPREFIX ..."
wineserver -p
wineboot -i >/dev/null 2>&1
[ "${ICMP_TRACE:-0}" = 1 ] && export WINEDEBUG=-all,+icmp
WINEDLLOVERRIDES=iphlpapi=n wine "$exe" --dll "$dll" "$@"
