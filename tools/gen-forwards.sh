#!/bin/bash
# gen-forwards.sh: prints the forwarding lines of dlls/iphlpapi/iphlpapi.spec:
# every name exported by Wine 8's builtin iphlpapi.dll or listed in
# mingw-w64's Windows 10 import library, except the functions we implement,
# forwarded to iphlpapi_orig.dll (the original implementation, installed
# beside ours). Run it after a Wine or mingw-w64 upgrade and paste the output
# below the "forwards" line of the spec.
set -eu
builtin=${1:-/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/iphlpapi.dll}
implib=${2:-/usr/x86_64-w64-mingw32/lib/libiphlpapi.a}
spec=$(dirname "$0")/../dlls/iphlpapi/iphlpapi.spec
ours=$(awk '$1 == "@" && $2 == "stdcall" { sub(/\(.*/, "", $3); print $3 }' "$spec")
{
    x86_64-w64-mingw32-objdump -p "$builtin" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
        awk '/^[[:space:]]*\[/ { print $NF }'
    x86_64-w64-mingw32-nm "$implib" | awk '$2 == "T" && $3 !~ /^\./ { print $3 }'
} | sort -u | grep -vxF "$ours" | awk '{ printf "@ extern %s iphlpapi_orig.%s\n", $1, $1 }'
