#!/bin/bash
# install-deps.sh: installs the Debian 12 packages this project needs (as root).
# dpkg-dev, autotools-dev, flex, bison and patch build the ICMPv6-capable
# wineserver (tools/wineserver/build-wineserver.sh) from Debian's Wine source.
# Packages already installed are left alone. wine32:i386 (for the 32-bit Wine
# tests) is attempted too; it often cannot be installed (the i386 index lags
# behind), which is reported and is not an error: the 32-bit DLL still builds
# and its Wine tests are reported as skipped. NO_WINE32=1 skips the attempt.
set -u
packages="make gcc clang libclang-rt-14-dev autoconf file dpkg-dev autotools-dev flex bison patch mingw-w64 wine wine64 libwine-dev wine64-tools iproute2 iptables procps iputils-ping"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
    echo "install-deps: installing$missing"
    apt-get update -q || echo "install-deps: apt-get update reported errors; trying with the lists we have"
    apt-get install -y -q --no-install-recommends $missing || { echo "install-deps: apt-get install failed" >&2; exit 1; }
fi
if [ "${NO_WINE32:-0}" != 1 ] && ! dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q "ok installed"; then
    echo "install-deps: trying wine32:i386 for the 32-bit Wine tests (optional)"
    if dpkg --add-architecture i386 && { apt-get update -q >/dev/null 2>&1; true; } &&
       apt-get install -y -q wine32:i386 >/tmp/install-deps-wine32.log 2>&1; then
        echo "install-deps: wine32 installed"
    else
        echo "install-deps: WARNING: wine32:i386 could not be installed (see /tmp/install-deps-wine32.log);"
        echo "install-deps: WARNING: the 32-bit DLL still builds, its Wine tests will be skipped"
    fi
fi
exit 0
