#!/bin/sh
# make-windows-kit.sh: `make windows-kit`: icmp-echo-windows-<version>.zip,
# for a person with a Windows machine who compares it with Wine:
#   run.cmd                      runs the suite, writes results\*.jsonl
#   README.txt
#   x64\ x32\                    icmp_test.exe (conformance), icmp_lab.exe
#                                (the network lab's scenarios), icmpping.exe
#   x64\ours\ x32\ours\          our iphlpapi.dll and icmp.dll (app-local)
# Written to build-dist/ (zipped with Python's zipfile). Prints the path.
set -eu
cd "$(dirname "$0")/../.."
version=$(tools/dist/version.sh)
name=icmp-echo-windows-$version
out=build-dist
stage=$out/kit-stage/$name
rm -rf "$out/kit-stage" "$out"/icmp-echo-windows-*.zip
for arch in x86_64 i386; do
    case $arch in x86_64) d=x64 ;; *) d=x32 ;; esac
    mkdir -p "$stage/$d/ours"
    for f in tests/$arch-windows/icmp_test.exe tests/$arch-windows/icmp_lab.exe tools/ping/$arch-windows/icmpping.exe \
             dlls/iphlpapi/$arch-windows/iphlpapi.dll dlls/icmp/$arch-windows/icmp.dll; do
        [ -f "$f" ] || { echo "make-windows-kit: $f is not built (run make)" >&2; exit 1; }
    done
    cp "tests/$arch-windows/icmp_test.exe" "tests/$arch-windows/icmp_lab.exe" "tools/ping/$arch-windows/icmpping.exe" \
       "$stage/$d/"
    cp "dlls/iphlpapi/$arch-windows/iphlpapi.dll" "dlls/icmp/$arch-windows/icmp.dll" "$stage/$d/ours/"
done
cp tools/dist/run.cmd "$stage/run.cmd"
# debug information stays in the build tree: the release is stripped
for f in "$stage"/x64/*.* "$stage"/x64/ours/*.*; do [ -f "$f" ] && x86_64-w64-mingw32-strip --strip-debug "$f"; done
for f in "$stage"/x32/*.* "$stage"/x32/ours/*.*; do [ -f "$f" ] && i686-w64-mingw32-strip --strip-debug "$f"; done

sed "s/@VERSION@/$version/g; s/\$/\r/" tools/dist/README-windows.txt > "$stage/README.txt"
cp COPYING.LIB "$stage/COPYING.LIB"
(cd "$out/kit-stage" && python3 -m zipfile -c "../$name.zip" "$name")
rm -rf "$out/kit-stage"
echo "$out/$name.zip"
