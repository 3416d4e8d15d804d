#!/bin/bash
# install-deps.sh: installs the Debian 12 or 13 packages this project needs (as root).
# dpkg-dev, autotools-dev, flex, bison and patch build the ICMPv6-capable
# wineserver (tools/wineserver/build-wineserver.sh) from Debian's Wine source.
# Packages already installed are left alone. wine32:i386 (for the 32-bit Wine
# tests) is installed by tools/install-wine32.sh, which also copes with
# mirrors whose i386 index lags behind; if it still cannot be installed that
# is reported and is not an error: the 32-bit DLL still builds and its Wine
# tests are reported as skipped. NO_WINE32=1 skips the attempt.
set -u
# mmdebstrap makes the Debian 13 root of make check-wine10 (tests/run-wine10.sh);
# chromium shows the comparison page headless in make check-dist;
# build-essential and debhelper build `make deb`, lintian checks it,
# python3-yaml reads the Bottles and
# Lutris files in make check-install (tests/run-install.sh), which also
# needs winetricks: Debian has it in contrib, which tools/install-winetricks.sh
# reads with a private apt list (the system's apt sources are left alone).
packages="make gcc clang autoconf file dpkg-dev autotools-dev flex bison patch mingw-w64 wine wine64 libwine-dev wine64-tools iproute2 iptables procps iputils-ping python3 mmdebstrap chromium build-essential debhelper lintian python3-yaml"
export DEBIAN_FRONTEND=noninteractive
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
known() { apt-cache show --no-all-versions "$1" >/dev/null 2>&1; }
updated=0
update() {
    [ $updated = 1 ] && return
    apt-get update -q || echo "install-deps: apt-get update reported errors; trying with the lists we have"
    updated=1
}
# libFuzzer and the sanitizers' runtime: libclang-rt-dev follows the default
# clang (Debian 13); Debian 12 has only the versioned libclang-rt-14-dev
rt=""
for p in libclang-rt-dev libclang-rt-14-dev; do installed "$p" && rt=$p; done
if [ -z "$rt" ]; then
    known libclang-rt-dev || known libclang-rt-14-dev || update
    if known libclang-rt-dev; then rt=libclang-rt-dev; else rt=libclang-rt-14-dev; fi
fi
missing=""
for p in $packages $rt; do
    installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "install-deps: installing$missing"
    update
    apt-get install -y -q --no-install-recommends $missing || { echo "install-deps: apt-get install failed" >&2; exit 1; }
fi
"$(dirname "$0")/install-winetricks.sh" || { echo "install-deps: winetricks could not be installed (see above)" >&2; exit 1; }
if [ "${NO_WINE32:-0}" != 1 ] && ! dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q "ok installed"; then
    echo "install-deps: installing wine32:i386 for the 32-bit Wine tests"
    if ! "$(dirname "$0")/install-wine32.sh"; then
        echo "install-deps: WARNING: wine32:i386 could not be installed (see /tmp/install-deps-wine32.log);"
        echo "install-deps: WARNING: the 32-bit DLL still builds, its Wine tests will be reported as SKIPPED"
    fi
fi
exit 0
