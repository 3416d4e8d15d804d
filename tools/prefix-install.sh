#!/bin/bash
# prefix-install.sh install|uninstall|status: puts our iphlpapi.dll and icmp.dll
# into the Wine prefix $WINEPREFIX, or takes them out again.
#
# install (idempotent):
#   system32/iphlpapi.dll      <- dlls/iphlpapi/x86_64-windows/iphlpapi.dll (ours)
#   system32/icmp.dll          <- dlls/icmp/x86_64-windows/icmp.dll (ours)
#   system32/iphlpapi_orig.dll <- Wine's own x86_64 iphlpapi.dll, the target of
#                                 every export we do not implement
#   the same in syswow64 with the i386 files, when the prefix has syswow64 and
#   Wine's i386 iphlpapi.dll is installed (wine32)
#   HKCU\Software\Wine\DllOverrides: iphlpapi and icmp = native,builtin
# What was there before (files, override values) is saved in
# $WINEPREFIX/icmp-echo-saved/ first, and `uninstall` puts it back exactly and
# removes that folder. Nothing else in the prefix is touched.
#
# Environment: WINEPREFIX (required), WINE_DLLDIR64 / WINE_DLLDIR32 (where
# Wine's PE DLLs are; default: Debian's locations).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
action=${1:-}
die() { echo "prefix-install: $*" >&2; exit 1; }

case "$action" in install|uninstall|status) ;; *) die "usage: $0 install|uninstall|status" ;; esac
[ -n "${WINEPREFIX:-}" ] || die "WINEPREFIX is not set: say which Wine prefix to change"
[ -d "$WINEPREFIX" ] || die "WINEPREFIX=$WINEPREFIX does not exist"
[ -f "$WINEPREFIX/system.reg" ] && [ -f "$WINEPREFIX/user.reg" ] && [ -d "$WINEPREFIX/drive_c/windows/system32" ] ||
    die "WINEPREFIX=$WINEPREFIX is not a Wine prefix (no system.reg, user.reg, drive_c/windows/system32)"
export WINEPREFIX
export WINEDEBUG=${WINEDEBUG:--all}

dlldir64=${WINE_DLLDIR64:-/usr/lib/x86_64-linux-gnu/wine/x86_64-windows}
dlldir32=${WINE_DLLDIR32:-/usr/lib/i386-linux-gnu/wine/i386-windows}
sys64=$WINEPREFIX/drive_c/windows/system32
sys32=$WINEPREFIX/drive_c/windows/syswow64
saved=$WINEPREFIX/icmp-echo-saved
files="iphlpapi.dll icmp.dll iphlpapi_orig.dll"
key='HKCU\Software\Wine\DllOverrides'
overrides="iphlpapi icmp"

# the override value, or nothing when it is not set
get_override() {
    wine reg query "$key" /v "$1" 2>/dev/null | tr -d '\r' | awk -v n="$1" 'tolower($1) == tolower(n) { print $3 }'
}

# targets: "dir arch" pairs this prefix gets
targets() {
    echo "$sys64 x86_64"
    if [ -d "$sys32" ] && [ -f "$dlldir32/iphlpapi.dll" ]; then echo "$sys32 i386"; fi
}

install() {
    local dir arch f
    [ -f "$dlldir64/iphlpapi.dll" ] || die "Wine's own iphlpapi.dll is not in $dlldir64 (set WINE_DLLDIR64)"
    for arch in x86_64 i386; do
        for f in dlls/iphlpapi/$arch-windows/iphlpapi.dll dlls/icmp/$arch-windows/icmp.dll; do
            [ -f "$top/$f" ] || die "$f is not built (run ./configure && make)"
        done
    done
    if [ -d "$sys32" ] && [ ! -f "$dlldir32/iphlpapi.dll" ]; then
        echo "prefix-install: note: no 32-bit Wine ($dlldir32/iphlpapi.dll missing): syswow64 left alone"
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
        cp "$top/dlls/iphlpapi/$arch-windows/iphlpapi.dll" "$dir/iphlpapi.dll"
        cp "$top/dlls/icmp/$arch-windows/icmp.dll" "$dir/icmp.dll"
        cp "$orig" "$dir/iphlpapi_orig.dll"
        echo "prefix-install: $arch: ours in ${dir#$WINEPREFIX/}, Wine's original as iphlpapi_orig.dll"
    done
    for f in $overrides; do
        wine reg add "$key" /v "$f" /d native,builtin /f >/dev/null 2>&1 || die "cannot set the $f override"
    done
    echo "prefix-install: overrides iphlpapi, icmp = native,builtin; installed in $WINEPREFIX"
}

uninstall() {
    local dir arch f
    [ -d "$saved" ] || die "nothing to uninstall: $WINEPREFIX has no $saved"
    for arch in x86_64 i386; do
        if [ "$arch" = x86_64 ]; then dir=$sys64; else dir=$sys32; fi
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
    echo "prefix-install: $WINEPREFIX restored"
}

status() {
    if [ -d "$saved" ]; then echo "installed in $WINEPREFIX"; else echo "not installed in $WINEPREFIX"; fi
    for f in $overrides; do echo "override $f: $(get_override "$f")"; done
}

"$action"
