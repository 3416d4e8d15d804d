#!/bin/sh
# make-dist.sh: `make dist`: icmp-echo-<version>.tar.gz for Wine users, who
# install it without a toolchain, by any of the routes Wine users know:
#   icmp-echo-<version>/x64/{iphlpapi,icmp}.dll    (x86_64: system32)
#   icmp-echo-<version>/x32/{iphlpapi,icmp}.dll    (i386: syswow64)
#   icmp-echo-<version>/x64/icmp-echo-helper.exe, x32/... (the steps of
#                      Bottles and Lutris, setup_icmp.sh doctor)
#   icmp-echo-<version>/setup_icmp.sh              install | uninstall | status | doctor
#   icmp-echo-<version>/icmp_echo.verb             winetricks / protontricks
#   icmp-echo-<version>/icmp-echo-<version>-dlls.zip  x64/ and x32/ in one
#                      archive, for Bottles and Lutris, which unpack one
#   icmp-echo-<version>/bottles/                   a Bottles dependencies
#                      repository (index.yml, Essentials/icmp-echo.yml)
#   icmp-echo-<version>/lutris/icmp-echo.yaml      a Lutris installer
#   icmp-echo-<version>/README.txt, COPYING.LIB
# and, beside the tarball, build-dist/icmp_echo.verb: the same verb with
# the tarball's SHA-256, which installs from the tarball next to it (or in
# winetricks' cache). The verb checks each DLL's SHA-256, the Bottles
# manifest the zip's MD5 (what Bottles checks). RELEASE_URL (optional):
# where the tarball and the zip will be published, for the verb's and
# Bottles' download when the file is not there already.
# Written to build-dist/. Prints the tarball's path.
set -eu
cd "$(dirname "$0")/../.."
version=$(tools/dist/version.sh)
name=icmp-echo-$version
zip=$name-dlls.zip
out=build-dist
stage=$out/stage/$name
url=${RELEASE_URL:-}
for f in dlls/iphlpapi/x86_64-windows/iphlpapi.dll dlls/icmp/x86_64-windows/icmp.dll \
         dlls/iphlpapi/i386-windows/iphlpapi.dll dlls/icmp/i386-windows/icmp.dll \
         tools/dist/x86_64-windows/icmp-echo-helper.exe tools/dist/i386-windows/icmp-echo-helper.exe; do
    [ -f "$f" ] || { echo "make-dist: $f is not built (run make)" >&2; exit 1; }
done
rm -rf "$out/stage" "$out"/icmp-echo-[0-9]*.tar.gz "$out/icmp_echo.verb"
mkdir -p "$stage/x64" "$stage/x32" "$stage/bottles/Essentials" "$stage/lutris"
cp dlls/iphlpapi/x86_64-windows/iphlpapi.dll dlls/icmp/x86_64-windows/icmp.dll \
   tools/dist/x86_64-windows/icmp-echo-helper.exe "$stage/x64/"
cp dlls/iphlpapi/i386-windows/iphlpapi.dll dlls/icmp/i386-windows/icmp.dll \
   tools/dist/i386-windows/icmp-echo-helper.exe "$stage/x32/"
cp tools/dist/setup_icmp.sh "$stage/setup_icmp.sh"
chmod 755 "$stage/setup_icmp.sh"
# debug information stays in the build tree: the release is stripped
for f in "$stage"/x64/*.*; do x86_64-w64-mingw32-strip --strip-debug "$f"; done
for f in "$stage"/x32/*.*; do i686-w64-mingw32-strip --strip-debug "$f"; done
chmod 644 "$stage"/x64/* "$stage"/x32/*
tools/check-pe.sh "$stage"/x64/*.dll "$stage"/x32/*.dll

# reproducible: fixed owner, order and times (the commit's date when there is one)
stamp=$(git log -1 --format=%ct 2>/dev/null || date +%s)

# the zip for Bottles and Lutris: x64/ and x32/ at its top
python3 - "$stage" "$zip" "$stamp" <<'EOF'
import os, sys, time, zipfile
stage, name, stamp = sys.argv[1], sys.argv[2], int(sys.argv[3])
when = time.gmtime(max(stamp, 315532800))[:6]
with zipfile.ZipFile(os.path.join(stage, name), "w", zipfile.ZIP_DEFLATED) as z:
    for d in ("x32", "x64"):
        for f in sorted(os.listdir(os.path.join(stage, d))):
            info = zipfile.ZipInfo(d + "/" + f, when)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(stage, d, f), "rb") as src:
                z.writestr(info, src.read())
EOF
zip_md5=$(md5sum "$stage/$zip" | cut -d' ' -f1)
zip_size=$(wc -c < "$stage/$zip" | tr -d ' ')
# (Bottles unpacks into its temp directory, in a folder named after the file)
zip_dir=${zip%.zip}
zip_url=${url:+$url/$zip}
zip_url=${zip_url:-https://icmp-echo.invalid/copy-$zip-into-the-bottles-temp-directory}
sed -e "s|@VERSION@|$version|g" -e "s|@ZIP@|$zip|g" -e "s|@ZIP_DIR@|$zip_dir|g" -e "s|@ZIP_URL@|$zip_url|g" \
    -e "s|@ZIP_MD5@|$zip_md5|g" -e "s|@ZIP_SIZE@|$zip_size|g" tools/dist/bottles/icmp-echo.yml \
    > "$stage/bottles/Essentials/icmp-echo.yml"
sed "s|@VERSION@|$version|g" tools/dist/bottles/index.yml > "$stage/bottles/index.yml"
sed -e "s|@VERSION@|$version|g" -e "s|@ZIP@|$zip|g" tools/dist/lutris/icmp-echo.yaml > "$stage/lutris/icmp-echo.yaml"

# the verb, with the SHA-256 of each DLL it installs
sums=""
for f in x64/iphlpapi.dll x64/icmp.dll x32/iphlpapi.dll x32/icmp.dll; do
    sums="$sums${sums:+ }$f=$(sha256sum "$stage/$f" | cut -d' ' -f1)"
done
verb() {  # TARBALL-SHA256
    sed -e "s|@VERSION@|$version|g" -e "s|@SUMS@|$sums|g" -e "s|@TARBALL_SHA256@|$1|g" \
        -e "s|@RELEASE_URL@|$url|g" tools/dist/icmp_echo.verb
}
verb "" > "$stage/icmp_echo.verb"

sed "s/@VERSION@/$version/g" tools/dist/README-dist.txt > "$stage/README.txt"
cp COPYING.LIB "$stage/"
find "$stage" -exec touch -h -d "@$stamp" {} +
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$stamp" -C "$out/stage" -cf - "$name" |
    gzip -n -9 > "$out/$name.tar.gz"
# beside the tarball: the verb that installs from it
verb "$(sha256sum "$out/$name.tar.gz" | cut -d' ' -f1)" > "$out/icmp_echo.verb"
rm -rf "$out/stage"
echo "$out/$name.tar.gz"
