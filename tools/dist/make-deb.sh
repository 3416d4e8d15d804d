#!/bin/sh
# make-deb.sh: `make deb`: the Debian package icmp-echo (debian/), built by
# dpkg-buildpackage from a copy of this tree's sources (git's tracked files
# and new ones it does not ignore; no build output) in
# build-deb/icmp-echo-<version>/, so that nothing is written beside the
# tree. Output: build-deb/icmp-echo_<version>_all.deb (and its .changes and
# .buildinfo); the build log is build-deb/build.log. The package's version
# is debian/changelog's, which must be configure.ac's. Prints the .deb's path.
set -eu
cd "$(dirname "$0")/../.."
die() { echo "make-deb: $*" >&2; exit 1; }
for p in dpkg-buildpackage dpkg-parsechangelog dh; do
    command -v "$p" >/dev/null || die "$p is missing (apt-get install dpkg-dev debhelper; tools/install-deps.sh does)"
done
base=$(sed -n 's/^AC_INIT(\[[^]]*\],[[:space:]]*\[\([^]]*\)\].*/\1/p' configure.ac)
deb=$(dpkg-parsechangelog -S Version)
[ "$deb" = "$base" ] || die "debian/changelog is at $deb but configure.ac at $base: add a changelog entry for $base"
out=build-deb
src=$out/icmp-echo-$base
rm -rf "$out"
mkdir -p "$src"
if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$src"
else
    tar --exclude='./build-*' --exclude=./Makefile --exclude=./config.status --exclude=./config.log -cf - . |
        tar -xf - -C "$src"
fi
[ -f "$src/debian/rules" ] || die "copying the sources to $src failed"
echo "make-deb: dpkg-buildpackage in $src (log: $out/build.log)" >&2
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -jauto) > "$out/build.log" 2>&1; then
    tail -n 30 "$out/build.log" >&2
    die "dpkg-buildpackage failed (see $out/build.log)"
fi
rm -rf "$src"
echo "$out/icmp-echo_${deb}_all.deb"
