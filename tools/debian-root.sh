#!/bin/bash
# debian-root.sh: another Debian release, with its own Wine, beside this
# machine's, to run the Wine-side suites under that Wine (Debian 13 ships
# Wine 10; this machine, Debian 12, Wine 8). As root.
#
#   tools/debian-root.sh make [RELEASE]        makes build-root-RELEASE/ (default trixie)
#                                              with mmdebstrap from Debian's archive, once:
#                                              kept while its package list is unchanged
#   tools/debian-root.sh run [RELEASE] CMD...  runs CMD in it: in a mount namespace of its
#                                              own, chrooted, with /proc, /sys and /dev, and
#                                              this tree at the same path (built files
#                                              included; CMD runs in it), as root
#   tools/debian-root.sh wine [RELEASE]        prints the Wine version the root holds
#   tools/debian-root.sh throwaway [RELEASE|host] CMD...
#                                              runs CMD as `run` does, in a throwaway
#                                              overlay of the root (host: of this
#                                              machine's own /): what CMD installs
#                                              (apt install ./x.deb) vanishes with it,
#                                              only the tree (bind-mounted) keeps writes
#
# The root holds what the suites run with (Wine with wine32, iproute2,
# iptables, python3...) and what `make wineserver-icmpv6` builds the
# ICMPv6-capable server with (gcc, flex, bison, dpkg-dev); not the
# cross-compilers: the DLLs and test programs under test are this tree's,
# built once, as a user's release tarball is. About a minute and 2.2 GB.
# Its apt sources have main and contrib (winetricks is in contrib: make
# check-install tests our verb with Debian's winetricks).
# mmdebstrap is a Debian package (tools/install-deps.sh installs it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

say() { printf 'debian-root: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

PACKAGES="wine,wine64,wine32:i386,winetricks,iproute2,iptables,procps,iputils-ping,python3,util-linux,file,gcc,libc6-dev,make,flex,bison,dpkg-dev,autoconf,autotools-dev,perl,patch,ca-certificates"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

cmd=${1:-}
shift || true
release=trixie host=0
case ${1:-} in trixie|bookworm|forky|sid) release=$1; shift ;; host) [ "$cmd" = throwaway ] && { host=1; shift; } ;; esac
root=$top/build-root-$release
COMPONENTS=main,contrib
stamp="$release $PACKAGES $COMPONENTS $MIRROR"

make_root() {
    [ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot)"
    if [ -f "$root/.debian-root" ] && [ "$(cat "$root/.debian-root")" = "$stamp" ]; then
        say "$root is ready ($(wine_version))"
        return 0
    fi
    command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (tools/install-deps.sh installs it)"
    rm -rf "$root"
    say "making a Debian $release root in $root (mmdebstrap, about a minute)"
    mmdebstrap --variant=apt --architectures=amd64,i386 --components="$COMPONENTS" --include="$PACKAGES" \
        "$release" "$root" "$MIRROR" \
        > "$root.log" 2>&1 || { tail -20 "$root.log"; rm -rf "$root"; die "mmdebstrap failed (see $root.log)"; }
    echo "$stamp" > "$root/.debian-root"
    say "made $root ($(wine_version))"
}

# runs CMD... chrooted in the root, in a private mount namespace (nothing
# mounted here outlives it); the environment is a root login's, plus what
# the suites read
run_in_root() {
    [ "$(id -u)" = 0 ] || die "needs root (chroot)"
    [ -f "$root/.debian-root" ] || die "$root is not made (tools/debian-root.sh make $release)"
    unshare --mount --propagation private sh -c '
        root=$1 top=$2; shift 2
        mount --bind "$root" "$root" &&   # (its / a mount point: ip netns exec remounts it)
        mount -t proc proc "$root/proc" &&
        mount --rbind /sys "$root/sys" &&
        mount --rbind /dev "$root/dev" &&
        mount -t tmpfs tmpfs "$root/run" &&
        mkdir -p "$root$top" && mount --bind "$top" "$root$top" || exit 125
        exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
            TERM="${TERM:-dumb}" /bin/sh -c '\''cd "$0" && exec "$@"'\'' "$top" "$@"' sh "$root" "$top" "$@"
}

# throwaway_run LOWER CMD...: run_in_root's chroot, but over an overlay of
# LOWER (the root, or / for this machine) whose writes go to a tmpfs that
# goes away with the mount namespace; /tmp is a fresh tmpfs too
throwaway_run() {
    [ "$(id -u)" = 0 ] || die "needs root (overlay mounts, chroot)"
    lower=$1
    shift
    unshare --mount --propagation private sh -c '
        lower=$1 top=$2; shift 2
        d=$(mktemp -d /tmp/debian-root-overlay.XXXXXX) || exit 125
        trap "umount -l \"$d\" 2>/dev/null; rmdir \"$d\" 2>/dev/null" EXIT
        mount -t tmpfs tmpfs "$d" && mkdir "$d/upper" "$d/work" "$d/root" &&
        mount -t overlay overlay -o "lowerdir=$lower,upperdir=$d/upper,workdir=$d/work" "$d/root" &&
        mount -t proc proc "$d/root/proc" &&
        mount --rbind /sys "$d/root/sys" &&
        mount --rbind /dev "$d/root/dev" &&
        mount -t tmpfs tmpfs "$d/root/run" &&
        mount -t tmpfs tmpfs "$d/root/tmp" &&
        mkdir -p "$d/root$top" && mount --bind "$top" "$d/root$top" || exit 125
        chroot "$d/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
            TERM="${TERM:-dumb}" /bin/sh -c '\''cd "$0" && exec "$@"'\'' "$top" "$@"' sh "$lower" "$top" "$@"
}

wine_version() {
    chroot "$root" dpkg-query -W -f='${Version}' wine 2>/dev/null | sed 's/~.*//; s/^/Wine /'
}

case $cmd in
    make) make_root ;;
    run) [ $# -ge 1 ] || die "run: no command"; run_in_root "$@" ;;
    wine) [ -f "$root/.debian-root" ] || die "$root is not made"; wine_version; echo ;;
    throwaway)
        [ $# -ge 1 ] || die "throwaway: no command"
        if [ "$host" = 1 ]; then throwaway_run / "$@"
        else [ -f "$root/.debian-root" ] || die "$root is not made (tools/debian-root.sh make $release)"; throwaway_run "$root" "$@"; fi ;;
    *) die "usage: $0 make|run|wine|throwaway [RELEASE] [CMD...]" ;;
esac
