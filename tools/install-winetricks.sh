#!/bin/sh
# install-winetricks.sh: installs Debian's winetricks package (as root;
# called by tools/install-deps.sh), which `make check-install` tests our
# winetricks verb with (tools/dist/icmp_echo.verb).
#
# winetricks is in Debian's contrib, and a machine's apt sources often list
# only main. Rather than editing the system's apt configuration, this reads
# contrib through a private apt setup of its own under build-apt/ in the
# tree (a sources list, package lists and an archive cache, given to apt
# with -o Dir::Etc::SourceList, Dir::Etc::SourceParts, Dir::State::Lists and
# Dir::Cache::Archives), downloads the winetricks .deb of this machine's
# release (VERSION_CODENAME in /etc/os-release), and installs that file with
# `apt-get install ./winetricks_*.deb`, which takes its dependencies
# (cabextract, unzip, wget...) from the system's own sources. Nothing is
# left in /etc/apt. DEBIAN_MIRROR (default http://deb.debian.org/debian)
# says where contrib is read from.
set -eu
say() { echo "install-winetricks: $*"; }
if dpkg-query -W -f='${Status}' winetricks 2>/dev/null | grep -q "ok installed"; then exit 0; fi
[ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build-apt
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || { say "no VERSION_CODENAME in /etc/os-release: not a Debian release"; exit 1; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { say "$keyring is missing (package debian-archive-keyring)"; exit 1; }

rm -rf "$dir"
mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/sources.list.d"
echo "deb [signed-by=$keyring] $mirror $codename contrib" > "$dir/sources.list"
apt_private() {
    apt-get -q -o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/sources.list.d" \
        -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives" \
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o APT::Get::List-Cleanup=0 "$@"
}
say "reading $mirror $codename contrib (a private apt list in $dir)"
apt_private update >"$dir/update.log" 2>&1 || { cat "$dir/update.log"; say "cannot read $codename contrib"; exit 1; }
(cd "$dir" && apt_private download winetricks) >"$dir/download.log" 2>&1 ||
    { cat "$dir/download.log"; say "cannot download winetricks from contrib"; exit 1; }
deb=$(ls "$dir"/winetricks_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { say "no winetricks .deb was downloaded"; exit 1; }
say "installing $(basename "$deb") (its dependencies from the system's sources)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb"
