#!/bin/sh
# setup_icmp.sh install|uninstall|status|dlldir: puts icmp-echo's iphlpapi.dll and
# icmp.dll into the Wine prefix $WINEPREFIX, or takes them out again.
# POSIX shell; needs only Wine and our DLLs, found beside this script
# (x64/ and x32/, the release tarball's layout) or in the source tree
# (dlls/*/x86_64-windows, dlls/*/i386-windows, from tools/dist/; tools/prefix-install.sh and
# `make install-prefix` run it so).
#
# install (idempotent):
#   system32/iphlpapi.dll      <- our x86_64 iphlpapi.dll
#   system32/icmp.dll          <- our x86_64 icmp.dll
#   system32/iphlpapi_orig.dll <- Wine's own x86_64 iphlpapi.dll, the target
#                                 of every export we do not implement
#   the same in syswow64 with the i386 files, when the prefix has syswow64 and
#   Wine's i386 iphlpapi.dll is installed (wine32); a 32-bit prefix
#   (WINEARCH=win32: "#arch=win32" in system.reg) gets the i386 files in
#   system32
#   HKCU\Software\Wine\DllOverrides: iphlpapi and icmp = native,builtin
# What was there before (files, override values) is saved in
# $WINEPREFIX/icmp-echo-saved/ first, and `uninstall` puts it back exactly
# and removes that folder. Nothing else in the prefix is touched.
#
# Environment: WINEPREFIX (required); WINE: the Wine whose prefix it is
# (default: the `wine` in PATH; for another Wine, e.g. Proton's
# .../files/bin/wine or a self-built one, its bin/wine: every Wine command
# goes through it and its own DLLs are looked for beside it only, in
# ../lib/wine, ../lib64/wine, ../lib32/wine); WINE_DLLDIR64 / WINE_DLLDIR32:
# where Wine's own PE DLLs are, when they are somewhere else.
set -eu
me=${SETUP_NAME:-setup_icmp}
here=$(cd "$(dirname "$0")" && pwd)
action=${1:-}
die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*"; }

# ours ARCH NAME: the path of our DLL NAME (iphlpapi.dll, icmp.dll) for ARCH
ours() {
    case $1 in x86_64) d=x64 ;; *) d=x32 ;; esac
    if [ -f "$here/$d/$2" ]; then echo "$here/$d/$2"
    else echo "$here/../../dlls/${2%.dll}/$1-windows/$2"; fi
}

# wine_dlldir ARCH: the directory of Wine's own PE DLLs for ARCH (x86_64,
# i386), or nothing
wine_dlldir() {
    case $1 in x86_64) v=${WINE_DLLDIR64:-} ;; *) v=${WINE_DLLDIR32:-} ;; esac
    if [ -n "$v" ]; then echo "$v"; return 0; fi
    bin=$(dirname "$wine_path")
    real=$(dirname "$(readlink -f "$wine_path")")
    beside="$bin/../lib/wine/$1-windows $bin/../lib64/wine/$1-windows $bin/../lib32/wine/$1-windows
            $real/../lib/wine/$1-windows $real/../lib64/wine/$1-windows $real/../lib32/wine/$1-windows"
    # (a Wine named by WINE= is looked for beside it only: not the system's)
    [ -n "${WINE:-}" ] || beside="/usr/lib/$1-linux-gnu/wine/$1-windows $beside /usr/lib/wine/$1-windows
            /usr/lib64/wine/$1-windows /usr/lib32/wine/$1-windows /opt/wine-stable/lib/wine/$1-windows
            /opt/wine-stable/lib64/wine/$1-windows"
    for d in $beside; do
        if [ -f "$d/iphlpapi.dll" ]; then echo "$d"; return 0; fi
    done
    return 0
}

case "$action" in install|uninstall|status|dlldir) ;; *) die "usage: $0 install|uninstall|status | dlldir ARCH" ;; esac
if [ -n "${WINE:-}" ]; then
    wine_path=$(command -v "$WINE") || die "WINE=$WINE: no such program"
    case $wine_path in /*) ;; *) wine_path=$(pwd)/$wine_path ;; esac
else
    wine_path=$(command -v wine) || die "wine is not in PATH (or say which: WINE=/path/to/bin/wine)"
fi
# every Wine command of this script: the prefix's own Wine
wine() { "$wine_path" "$@"; }
# dlldir ARCH (x86_64, i386): where this Wine's own ARCH DLLs are, as install
# finds them (the tests ask, to know which architectures to expect); fails
# when there are none
if [ "$action" = dlldir ]; then
    case ${2:-} in x86_64|i386) ;; *) die "usage: $0 dlldir x86_64|i386" ;; esac
    d=$(wine_dlldir "$2")
    [ -n "$d" ] && [ -f "$d/iphlpapi.dll" ] && echo "$d"
    exit
fi
[ -n "${WINEPREFIX:-}" ] || die "WINEPREFIX is not set: say which Wine prefix to change"
[ -d "$WINEPREFIX" ] || die "WINEPREFIX=$WINEPREFIX does not exist"
[ -f "$WINEPREFIX/system.reg" ] && [ -f "$WINEPREFIX/user.reg" ] && [ -d "$WINEPREFIX/drive_c/windows/system32" ] ||
    die "WINEPREFIX=$WINEPREFIX is not a Wine prefix (no system.reg, user.reg, drive_c/windows/system32)"
export WINEPREFIX
WINEDEBUG=${WINEDEBUG:--all}
export WINEDEBUG
# a prefix made before wine32 was installed fails every program ("could not
# load kernel32.dll, status c0000135"): say so instead of half installing
if ! wine cmd /c exit 0 >/dev/null 2>&1 </dev/null; then
    die "programs in WINEPREFIX=$WINEPREFIX do not start (\"wine cmd /c exit 0\" fails; a prefix made before" \
        "wine32 was installed is like that): make a new prefix (move this one away, then wineboot) and install there"
fi

sys64=$WINEPREFIX/drive_c/windows/system32
sys32=$WINEPREFIX/drive_c/windows/syswow64
saved=$WINEPREFIX/icmp-echo-saved
files="iphlpapi.dll icmp.dll iphlpapi_orig.dll"
key='HKCU\Software\Wine\DllOverrides'
overrides="iphlpapi icmp"
dlldir64=$(wine_dlldir x86_64)
dlldir32=$(wine_dlldir i386)

# the override value, or nothing when it is not set
get_override() {
    wine reg query "$key" /v "$1" 2>/dev/null | tr -d '\r' | awk -v n="$1" 'tolower($1) == tolower(n) { print $3 }'
}

# a 32-bit prefix: system32 holds i386 DLLs, and there is no syswow64
win32=0
if grep -q '^#arch=win32' "$WINEPREFIX/system.reg"; then win32=1; fi

# dir_of ARCH: where the prefix keeps ARCH's DLLs
dir_of() {
    if [ "$1" = x86_64 ] || [ $win32 = 1 ]; then echo "$sys64"; else echo "$sys32"; fi
}

# targets: "dir arch" pairs this prefix gets
targets() {
    if [ $win32 = 1 ]; then echo "$sys64 i386"; return 0; fi
    echo "$sys64 x86_64"
    if [ -d "$sys32" ] && [ -n "$dlldir32" ] && [ -f "$dlldir32/iphlpapi.dll" ]; then echo "$sys32 i386"; fi
}

install() {
    if [ $win32 = 1 ]; then
        [ -n "$dlldir32" ] && [ -f "$dlldir32/iphlpapi.dll" ] ||
            die "Wine's own i386 iphlpapi.dll was not found (set WINE_DLLDIR32 to the directory that has it)"
    else
        [ -n "$dlldir64" ] && [ -f "$dlldir64/iphlpapi.dll" ] ||
            die "Wine's own x86_64 iphlpapi.dll was not found (set WINE_DLLDIR64 to the directory that has it)"
    fi
    for arch in x86_64 i386; do
        for f in iphlpapi.dll icmp.dll; do
            [ -f "$(ours "$arch" "$f")" ] || die "our $arch $f is missing ($(ours "$arch" "$f"); in a source tree: ./configure && make)"
        done
    done
    if [ -d "$sys32" ] && { [ -z "$dlldir32" ] || [ ! -f "$dlldir32/iphlpapi.dll" ]; }; then
        say "note: no 32-bit Wine (Wine's i386 iphlpapi.dll not found; WINE_DLLDIR32): syswow64 left alone"
    fi
    if [ ! -d "$saved" ]; then
        rm -rf "$saved.tmp"
        mkdir -p "$saved.tmp"
        targets | while read -r dir arch; do
            mkdir -p "$saved.tmp/$arch"
            for f in $files; do
                if [ -e "$dir/$f" ]; then cp -p "$dir/$f" "$saved.tmp/$arch/$f"; fi
            done
        done
        for f in $overrides; do
            v=$(get_override "$f")
            if [ -n "$v" ]; then echo "$v" > "$saved.tmp/override-$f"; fi
        done
        mv "$saved.tmp" "$saved"
    fi
    targets | while read -r dir arch; do
        if [ "$arch" = x86_64 ]; then orig=$dlldir64/iphlpapi.dll; else orig=$dlldir32/iphlpapi.dll; fi
        cp "$(ours "$arch" iphlpapi.dll)" "$dir/iphlpapi.dll"
        cp "$(ours "$arch" icmp.dll)" "$dir/icmp.dll"
        cp "$orig" "$dir/iphlpapi_orig.dll"
        say "$arch: ours in ${dir#"$WINEPREFIX"/}, Wine's original as iphlpapi_orig.dll"
    done
    for f in $overrides; do
        wine reg add "$key" /v "$f" /d native,builtin /f >/dev/null 2>&1 || die "cannot set the $f override"
    done
    say "overrides iphlpapi, icmp = native,builtin; installed in $WINEPREFIX"
}

uninstall() {
    [ -d "$saved" ] || die "nothing to uninstall: $WINEPREFIX has no $saved"
    for arch in x86_64 i386; do
        dir=$(dir_of "$arch")
        [ -d "$saved/$arch" ] || continue
        for f in $files; do
            if [ -e "$saved/$arch/$f" ]; then cp -p "$saved/$arch/$f" "$dir/$f"
            else rm -f "$dir/$f"; fi
        done
    done
    for f in $overrides; do
        if [ -f "$saved/override-$f" ]; then
            wine reg add "$key" /v "$f" /d "$(cat "$saved/override-$f")" /f >/dev/null 2>&1
        else
            wine reg delete "$key" /v "$f" /f >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$saved"
    say "$WINEPREFIX restored"
}

status() {
    if [ -d "$saved" ]; then echo "installed in $WINEPREFIX"; else echo "not installed in $WINEPREFIX"; fi
    for f in $overrides; do echo "override $f: $(get_override "$f")"; done
}

"$action"
