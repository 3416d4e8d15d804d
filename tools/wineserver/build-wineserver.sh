#!/bin/bash
# build-wineserver.sh [OUTDIR]: builds a wineserver that maps IPPROTO_ICMPV6
# (tools/wineserver/0001-*.patch) from the source of the *installed* Wine,
# so that the stock Wine client libraries can talk to it, and caches it as
# OUTDIR/wineserver (default build-wineserver/wineserver; `make
# wineserver-icmpv6`). Reused while the installed Wine's version is the one
# it was built from.
#
# The source comes through apt with a private configuration (its own
# sources list, lists and cache under OUTDIR): a deb-src line for each
# archive apt says the installed version comes from; nothing of the
# system's apt configuration is changed. It refuses, saying why, when the
# installed Wine has no matching source there. Only the server is built:
# Wine's configure (for config.h), its protocol generator, then the
# server's C files (about a minute on two cores).
#
# Versions it knows: Wine 8 (Debian 12) and Wine 10 (Debian 13), both
# built and tested here; Wine 9 (Ubuntu 24.04) builds the way Wine 10 does.
# Their servers differ in how they are told where Wine's files are (Wine 8:
# NLSDIR and BIN_TO_NLSDIR, Wine 9 and 10: BINDIR and DATADIR). Any other
# major version is refused, saying so (WINESERVER_ICMPV6_ANY=1 tries it
# anyway, with the newer settings).
#
# Needs dpkg-dev, autoconf, autotools-dev, flex, bison, perl, gcc
# (tools/install-deps.sh installs them).
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
out=${1:-$top/build-wineserver${BUILD_SUFFIX:-}}
patch=$(ls "$top"/tools/wineserver/0*.patch)
say() { echo "wineserver-icmpv6: $*"; }
# why it could not be built is also kept in OUTDIR/unavailable for the suites
die() {
    echo "wineserver-icmpv6: $*" >&2
    mkdir -p "$out" && echo "$*" > "$out/unavailable"
    exit 1
}

# ---- the installed Wine: the package that owns the server, its source and version ----
server=/usr/lib/wine/wineserver64
[ -x "$server" ] || server=/usr/lib/wine/wineserver
[ -x "$server" ] || die "no installed wineserver found (apt-get install wine wine64)"
pkg=$(dpkg-query -S "$server" 2>/dev/null | head -1 | cut -d: -f1) || true
[ -n "$pkg" ] || die "$server belongs to no Debian package: cannot tell which source to build"
read -r srcpkg srcver < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' "$pkg")
version=$(dpkg-query -W -f='${Version}' "$pkg")
major=${srcver%%.*}
major=${major#*:}
case $major in
    8|9|10) ;;
    *) [ "${WINESERVER_ICMPV6_ANY:-0}" = 1 ] ||
        die "the installed Wine is $srcver: this script knows Wine 8, 9 and 10 (how their servers are built), not $major; WINESERVER_ICMPV6_ANY=1 tries anyway" ;;
esac
stamp="$srcpkg $srcver $(sha256sum "$patch" | cut -c1-16)"

if [ -x "$out/wineserver" ] && [ "$(cat "$out/built-from" 2>/dev/null)" = "$stamp" ]; then
    say "$out/wineserver is built from $srcpkg $srcver with the patch: nothing to do"
    rm -f "$out/unavailable"
    exit 0
fi
for tool in dpkg-source autoreconf flex bison perl gcc; do
    command -v "$tool" >/dev/null || die "$tool is missing (tools/install-deps.sh installs what this needs)"
done
[ -f /usr/share/misc/config.sub ] || die "autotools-dev is missing (tools/install-deps.sh installs it)"

# ---- the source, through apt with a private configuration ----
apt=$out/apt
rm -rf "$apt" "$out/src"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$out/src"
# deb-src lines for the archives the installed version comes from
# ("500 http://deb.debian.org/debian bookworm/main amd64 Packages")
apt-cache policy "$pkg" | awk -v v="$version" '
    /^ +(\*\*\* )?[^ ]+ [0-9]+$/ { sub(/^ +(\*\*\* )?/, ""); cur = $1; next }
    cur == v && $2 ~ /^[a-z]+:\/\// { split($3, sc, "/"); print "deb-src " $2 " " sc[1] " " sc[2] }' |
    sort -u > "$apt/sources.list"
# (a system whose package lists were cleaned, as mmdebstrap leaves a root,
# knows no archive for it: then the archives the system is configured with)
if [ ! -s "$apt/sources.list" ]; then
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
          awk '$1 == "deb" { $1 = "deb-src"; print }'
      cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
          /^Types:/ { deb = / deb( |$)/ } /^URIs:/ { uri = $2 } /^Suites:/ { n = split($0, s, " ") }
          /^Components:/ { c = $0; sub(/^Components: */, "", c)
                           if (deb) for (i = 2; i <= n; i++) print "deb-src " uri " " s[i] " " c }'
    } | sed 's/ \[[^]]*\]//' | sort -u > "$apt/sources.list"
fi
[ -s "$apt/sources.list" ] ||
    die "apt knows no archive for the installed $pkg $version (installed by hand?): no source to build from"
aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
         -o APT::Sandbox::User=root)
say "fetching the source of $srcpkg $srcver ($(tr '\n' ' ' < "$apt/sources.list"))"
apt-get -q "${aptopts[@]}" update >"$out/apt.log" 2>&1 || { cat "$out/apt.log"; die "apt-get update failed"; }
(cd "$out/src" && apt-get -q "${aptopts[@]}" source --download-only "$srcpkg=$srcver") >>"$out/apt.log" 2>&1 ||
    { tail -5 "$out/apt.log"; die "the installed Wine ($srcpkg $srcver) has no matching source in its archive: cannot build a wineserver its client libraries accept"; }
(cd "$out/src" && dpkg-source -x ./*.dsc wine) >>"$out/apt.log" 2>&1 || die "dpkg-source -x failed (see $out/apt.log)"

# ---- configure and the server alone ----
src=$out/src/wine
cd "$src"
say "patching and configuring"
patch -p1 --no-backup-if-mismatch < "$patch" >"$out/build.log" 2>&1 || die "the patch does not apply to $srcver (see $out/build.log)"
# the protocol's generated parts (as debian/rules does: the marked files first)
for gen in server/trace.generated server/request.generated; do
    printf '/* ### make_requests begin ### */\n/* ### make_requests end ### */\n' > "$gen"
done
./tools/make_requests >>"$out/build.log" 2>&1 || die "tools/make_requests failed (see $out/build.log)"
ln -sf /usr/share/misc/config.sub tools/config.sub
ln -sf /usr/share/misc/config.guess tools/config.guess
autoreconf -f >>"$out/build.log" 2>&1 || die "autoreconf failed (see $out/build.log)"
# Only include/config.h is needed. Its last step (Makefiles through makedep)
# fails here because the generated Vulkan headers are not in the source
# package; that does not touch config.h, written before it.
rm -f include/config.h
./configure --enable-win64 --without-x --without-freetype --disable-tests >>"$out/build.log" 2>&1 ||
    grep -q '^config.status: creating include/config.h' "$out/build.log" ||
    die "Wine's configure failed (see $out/build.log)"
[ -f include/config.h ] || die "Wine's configure wrote no include/config.h (see $out/build.log)"
say "compiling the server"
# where the server finds Wine's NLS files: Debian's /usr/share/wine/nls
if grep -q 'DATADIR' server/unicode.c; then   # Wine 9 and 10
    dirs=(-DBINDIR='"/usr/bin"' -DDATADIR='"/usr/share"')
else                                          # Wine 8
    dirs=(-DNLSDIR='"/usr/share/wine/nls"' -DBIN_TO_NLSDIR='"../../share/wine/nls"')
fi
gcc -O2 -D__WINESRC__ -D_REENTRANT -Iinclude -Iserver "${dirs[@]}" \
    -o "$out/wineserver.new" server/*.c -lrt >>"$out/build.log" 2>&1 || die "the server does not compile (see $out/build.log)"
mv "$out/wineserver.new" "$out/wineserver"
echo "$stamp" > "$out/built-from"
rm -f "$out/unavailable"
cd "$top"
rm -rf "$out/src" "$apt"
say "built $out/wineserver from $srcpkg $srcver with $(basename "$patch")"
