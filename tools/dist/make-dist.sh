#!/bin/sh
# make-dist.sh: `make dist`: icmp-echo-<version>.tar.gz for Wine users, who
# install it without a toolchain (DXVK's layout):
#   icmp-echo-<version>/x64/{iphlpapi,icmp}.dll    (x86_64: system32)
#   icmp-echo-<version>/x32/{iphlpapi,icmp}.dll    (i386: syswow64)
#   icmp-echo-<version>/setup_icmp.sh              install | uninstall | status
#   icmp-echo-<version>/README.txt, COPYING.LIB
# Written to build-dist/. Prints the tarball's path.
set -eu
cd "$(dirname "$0")/../.."
version=$(tools/dist/version.sh)
name=icmp-echo-$version
out=build-dist
stage=$out/stage/$name
for f in dlls/iphlpapi/x86_64-windows/iphlpapi.dll dlls/icmp/x86_64-windows/icmp.dll \
         dlls/iphlpapi/i386-windows/iphlpapi.dll dlls/icmp/i386-windows/icmp.dll; do
    [ -f "$f" ] || { echo "make-dist: $f is not built (run make)" >&2; exit 1; }
done
rm -rf "$out/stage" "$out"/icmp-echo-[0-9]*.tar.gz
mkdir -p "$stage/x64" "$stage/x32"
cp dlls/iphlpapi/x86_64-windows/iphlpapi.dll dlls/icmp/x86_64-windows/icmp.dll "$stage/x64/"
cp dlls/iphlpapi/i386-windows/iphlpapi.dll dlls/icmp/i386-windows/icmp.dll "$stage/x32/"
cp tools/dist/setup_icmp.sh "$stage/setup_icmp.sh"
chmod 755 "$stage/setup_icmp.sh"
# debug information stays in the build tree: the release is stripped
for f in "$stage"/x64/*.* "$stage"/x64/ours/*.*; do [ -f "$f" ] && x86_64-w64-mingw32-strip --strip-debug "$f"; done
for f in "$stage"/x32/*.* "$stage"/x32/ours/*.*; do [ -f "$f" ] && i686-w64-mingw32-strip --strip-debug "$f"; done

sed "s/@VERSION@/$version/g" tools/dist/README-dist.txt > "$stage/README.txt"
cp COPYING.LIB "$stage/"
# reproducible: fixed owner, order and times (the commit's date when there is one)
stamp=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$stamp" -C "$out/stage" -cf - "$name" |
    gzip -n -9 > "$out/$name.tar.gz"
rm -rf "$out/stage"
echo "$out/$name.tar.gz"
