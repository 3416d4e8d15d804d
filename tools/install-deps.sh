#!/bin/bash
# install-deps.sh: installs the Debian 12 packages this project needs (as root).
# dpkg-dev, autotools-dev, flex, bison and patch build the ICMPv6-capable
# wineserver (tools/wineserver/build-wineserver.sh) from Debian's Wine source.
# Packages already installed are left alone. wine32:i386 (for the 32-bit Wine
# tests) is installed by tools/install-wine32.sh, which also copes with
# mirrors whose i386 index lags behind; if it still cannot be installed that
# is reported and is not an error: the 32-bit DLL still builds and its Wine
# tests are reported as skipped. NO_WINE32=1 skips the attempt.
set -u
packages="make gcc clang libclang-rt-14-dev autoconf file dpkg-dev autotools-dev flex bison patch mingw-w64 wine wine64 libwine-dev wine64-tools iproute2 iptables procps iputils-ping python3"
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
    echo "install-deps: installing wine32:i386 for the 32-bit Wine tests"
    if ! "$(dirname "$0")/install-wine32.sh"; then
        echo "install-deps: WARNING: wine32:i386 could not be installed (see /tmp/install-deps-wine32.log);"
        echo "install-deps: WARNING: the 32-bit DLL still builds, its Wine tests will be reported as SKIPPED"
    fi
fi
exit 0
