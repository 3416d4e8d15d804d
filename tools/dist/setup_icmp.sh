#!/bin/sh
# setup_icmp.sh install|uninstall|status|doctor|dlldir: puts icmp-echo's
# iphlpapi.dll and icmp.dll into the Wine prefix $WINEPREFIX, takes them out
# again, or says what works there and what to do (doctor).
# POSIX shell; needs only Wine and our files, found beside this script
# (x64/ and x32/: the release tarball's layout), in ../lib/icmp-echo/ (the
# Debian package installs this very file as /usr/bin/icmp-echo-setup and our
# files in /usr/lib/icmp-echo/), or in the source tree (dlls/*/x86_64-windows,
# dlls/*/i386-windows, from tools/dist/; tools/prefix-install.sh and `make
# install-prefix` run it so). Its messages start with the name it was run as
# (SETUP_NAME overrides that).
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
# uninstall, when another route installed ours (winetricks' verb, Bottles,
# Lutris: nothing saved, but the prefix's iphlpapi.dll is ours), puts Wine's
# own iphlpapi.dll and icmp.dll back from Wine's DLL directory, removes
# iphlpapi_orig.dll and deletes the two overrides: for a prefix that had
# Wine's files and no such overrides before, that is exactly as before.
#
# doctor: one screen, a line per question, each "ok", "FIX" with the one
# command that fixes it, "FAIL" (what a FIX line below fixes too), or "note": which Wine and where its DLLs are,
# 32-bit support, the prefix, whether ours is installed, whether 64-bit and
# 32-bit programs actually use it (Wine's own ping.exe of each architecture
# sends one echo to 127.0.0.1 under WINEDEBUG=+icmp,+loaddll: the DLL that
# answered is named, and ours proves itself by its traces and its version
# marker), whether the prefix's wineserver may open ICMP sockets and by
# which route (raw sockets: root or CAP_NET_RAW; Linux ping sockets: the
# user's groups against net.ipv4.ping_group_range), whether it opens ICMPv6
# sockets, and whether this is a Proton prefix (where setcap does not help
# and the sysctl does). The socket questions are answered by
# icmp-echo-helper.exe (tools/dist/icmp_echo_helper.c) run in the prefix.
# Exit status 0 when no line says FIX or FAIL.
#
# Environment: WINEPREFIX (required); WINE: the Wine whose prefix it is
# (default: the `wine` in PATH; for another Wine, e.g. Proton's
# .../files/bin/wine or a self-built one, its bin/wine: every Wine command
# goes through it and its own DLLs are looked for beside it only, in
# ../lib/wine, ../lib64/wine, ../lib32/wine); WINE_DLLDIR64 / WINE_DLLDIR32:
# where Wine's own PE DLLs are, when they are somewhere else.
set -eu
self=$0
if real=$(readlink -f "$0" 2>/dev/null) && [ -n "$real" ]; then self=$real; fi
here=$(cd "$(dirname "$self")" && pwd)
me=${SETUP_NAME:-$(basename "$0")}
action=${1:-}
die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*"; }

# ours ARCH NAME: the path of our file NAME (iphlpapi.dll, icmp.dll,
# icmp-echo-helper.exe) for ARCH (x86_64, i386)
ours() {
    case $1 in x86_64) d=x64 ;; *) d=x32 ;; esac
    for f in "$here/$d/$2" "$here/../lib/icmp-echo/$d/$2"; do
        if [ -f "$f" ]; then echo "$f"; return 0; fi
    done
    case $2 in
    *.dll) echo "$here/../../dlls/${2%.dll}/$1-windows/$2" ;;
    *) echo "$here/$1-windows/$2" ;;
    esac
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
        if [ -f "$d/iphlpapi.dll" ]; then (cd "$d" && pwd); return 0; fi
    done
    return 0
}

case "$action" in install|uninstall|status|doctor|dlldir) ;;
*) die "usage: $0 install|uninstall|status|doctor | dlldir ARCH" ;; esac
if [ -n "${WINE:-}" ]; then
    wine_path=$(command -v "$WINE") || die "WINE=$WINE: no such program"
    case $wine_path in /*) ;; *) wine_path=$(pwd)/$wine_path ;; esac
elif ! wine_path=$(command -v wine); then
    [ "$action" = doctor ] || die "wine is not in PATH (or say which: WINE=/path/to/bin/wine)"
    wine_path=""
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

sys64=${WINEPREFIX:-}/drive_c/windows/system32
sys32=${WINEPREFIX:-}/drive_c/windows/syswow64
saved=${WINEPREFIX:-}/icmp-echo-saved
files="iphlpapi.dll icmp.dll iphlpapi_orig.dll"
key='HKCU\Software\Wine\DllOverrides'
overrides="iphlpapi icmp"
if [ -n "$wine_path" ]; then
    dlldir64=$(wine_dlldir x86_64)
    dlldir32=$(wine_dlldir i386)
else
    dlldir64="" dlldir32=""
fi
WINEDEBUG=${WINEDEBUG:--all}
export WINEDEBUG

# prefix_error: why $WINEPREFIX cannot be used, or nothing
prefix_error() {
    if [ -z "${WINEPREFIX:-}" ]; then echo "WINEPREFIX is not set: say which Wine prefix to change"
    elif [ ! -d "$WINEPREFIX" ]; then echo "WINEPREFIX=$WINEPREFIX does not exist"
    elif [ ! -f "$WINEPREFIX/system.reg" ] || [ ! -f "$WINEPREFIX/user.reg" ] || [ ! -d "$sys64" ]; then
        echo "WINEPREFIX=$WINEPREFIX is not a Wine prefix (no system.reg, user.reg, drive_c/windows/system32)"
    fi
}

# A Wine program that did not start says nothing about the prefix: on a
# loaded machine a start fails now and then, its output empty (as winetricks'
# own `echo %AppData%` probe has been seen to). What this script concludes
# from a Wine program, it concludes from one that started: a start that
# failed that way is tried again, at most 3 starts in all.

# wine_starts: whether the prefix's programs start (`wine cmd /c exit 0`)
wine_starts() {
    for try in 1 2 3; do
        if wine cmd /c exit 0 >/dev/null 2>&1 </dev/null; then return 0; fi
    done
    return 1
}

# read_overrides: the DllOverrides key into $overrides_now, once for all the
# values an action looks at, from a `reg query` that printed the key or said
# it is not there
read_overrides() {
    for try in 1 2 3; do
        overrides_now=$(wine reg query "$key" 2>&1 </dev/null | tr -d '\r')
        case $overrides_now in *"HKEY_CURRENT_USER${key#HKCU}"*|*"Unable to find"*) break ;; esac
    done
}
# get_override NAME: its value as read_overrides read it, or nothing when it
# is not set ("*iphlpapi", winetricks' form, applies whatever path a program
# names the DLL by)
get_override() {
    printf '%s\n' "$overrides_now" | awk -v n="$1" 'tolower($1) == tolower(n) && $2 == "REG_SZ" { print $3 }'
}

# a 32-bit prefix: system32 holds i386 DLLs, and there is no syswow64
win32=0
if [ -f "${WINEPREFIX:-}/system.reg" ] && grep -q '^#arch=win32' "$WINEPREFIX/system.reg"; then win32=1; fi

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

# version_of FILE: the version in our marker ("icmp-echo iphlpapi.dll
# version V"), or nothing when FILE is not ours
version_of() {
    [ -f "$1" ] || return 0
    tr -c '[:print:]' '\n' < "$1" | sed -n 's/^icmp-echo iphlpapi.dll version //p' | head -n 1
}
# wine_builtin FILE: whether FILE carries Wine's builtin signature (what
# Wine writes at offset 0x40 of its own PE files)
wine_builtin() {
    [ -f "$1" ] && [ "$(dd if="$1" bs=16 skip=4 count=1 2>/dev/null | tr -d '\0')" = "Wine builtin DLL" ]
}

# usable: the refusals of install and uninstall
usable() {
    why=$(prefix_error)
    [ -z "$why" ] || die "$why"
    export WINEPREFIX
    # a prefix made before wine32 was installed fails every program ("could
    # not load kernel32.dll, status c0000135"): say so instead of half installing
    if ! wine_starts; then
        die "programs in WINEPREFIX=$WINEPREFIX do not start (\"wine cmd /c exit 0\" fails; a prefix made before" \
            "wine32 was installed is like that): make a new prefix (move this one away, then wineboot) and install there"
    fi
}

install() {
    usable
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
        read_overrides
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

# uninstall_foreign: ours was put there by another route (nothing saved)
uninstall_foreign() {
    found=0
    for arch in x86_64 i386; do
        dir=$(dir_of "$arch")
        [ -n "$(version_of "$dir/iphlpapi.dll")" ] || continue
        if [ "$arch" = x86_64 ]; then src=$dlldir64; else src=$dlldir32; fi
        [ -n "$src" ] && [ -f "$src/iphlpapi.dll" ] && [ -f "$src/icmp.dll" ] ||
            die "Wine's own $arch DLLs were not found, so ${dir#"$WINEPREFIX"/} cannot get Wine's iphlpapi.dll back" \
                "(set WINE_DLLDIR64 / WINE_DLLDIR32)"
        cp "$src/iphlpapi.dll" "$dir/iphlpapi.dll"
        cp "$src/icmp.dll" "$dir/icmp.dll"
        rm -f "$dir/iphlpapi_orig.dll"
        found=1
        say "$arch: Wine's iphlpapi.dll and icmp.dll back in ${dir#"$WINEPREFIX"/} (from $src)"
    done
    [ $found = 1 ] || die "nothing to uninstall: $WINEPREFIX has no $saved and its iphlpapi.dll is not ours"
    for f in $overrides; do
        wine reg delete "$key" /v "$f" /f >/dev/null 2>&1 || true
        wine reg delete "$key" /v "*$f" /f >/dev/null 2>&1 || true
    done
    say "ours had been installed by another route (winetricks, Bottles, Lutris): overrides iphlpapi, icmp removed;" \
        "$WINEPREFIX restored"
}

uninstall() {
    usable
    if [ ! -d "$saved" ]; then uninstall_foreign; return; fi
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
    why=$(prefix_error)
    [ -z "$why" ] || die "$why"
    export WINEPREFIX
    if [ -d "$saved" ]; then echo "installed in $WINEPREFIX"; else echo "not installed in $WINEPREFIX"; fi
    read_overrides
    for f in $overrides; do echo "override $f: $(get_override "$f")"; done
}

# ---- doctor ----

fixes=0 fails=0
# line STATUS TEXT [COMMAND]: one answer; a FIX comes with the command that
# fixes it, a FAIL is fixed by a FIX line it names
line() {
    printf '  %-5s %s\n' "$1" "$2"
    if [ -n "${3:-}" ]; then printf '        %s\n' "$3"; fi
    case $1 in FIX) fixes=$((fixes + 1)) ;; FAIL) fails=$((fails + 1)) ;; esac
}
# q WORD: WORD quoted for a shell, when it needs it
q() {
    case $1 in *[!A-Za-z0-9_./:=,+-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;; *) printf '%s' "$1" ;; esac
}
# the command line that runs this script again for this prefix and Wine
again() {
    printf '%s' "${WINE:+WINE=$(q "$wine_path") }WINEPREFIX=$(q "${WINEPREFIX:-$HOME/.wine}") $(q "$0") $1"
}

# wine64_loader: the loader that runs 64-bit programs (Debian's `wine` runs
# them in 32-bit mode when wine32 is installed)
wine64_loader() {
    bin=$(dirname "$wine_path")
    real=$(dirname "$(readlink -f "$wine_path")")
    for l in "${wine_path}64" "$bin/wine64" "$real/wine64"; do
        if [ -x "$l" ] && [ ! -d "$l" ]; then echo "$l"; return; fi
    done
    if [ -z "${WINE:-}" ]; then
        for l in /usr/lib/wine/wine64 /usr/lib64/wine/wine64 /opt/wine-stable/bin/wine64; do
            if [ -x "$l" ]; then echo "$l"; return; fi
        done
    fi
    echo "$wine_path"
}

# is_proton: why this looks like a Proton prefix (Steam), or nothing
is_proton() {
    case $wine_path in */files/bin/wine|*/dist/bin/wine)
        echo "WINE is a Proton build's ${wine_path#"${wine_path%/*/bin/wine}"/}"; return ;;
    esac
    case ${WINEPREFIX:-} in */pfx|*/pfx/)
        p=$(dirname "$WINEPREFIX")
        if [ -f "$p/version" ] || [ -f "$p/tracked_files" ] || [ -f "$p/config_info" ]; then
            echo "WINEPREFIX is a Steam compatdata prefix (…/pfx)"; return
        fi ;;
    esac
}

# ping_probe ARCH: one echo to 127.0.0.1 through Wine's own ping.exe of ARCH;
# sets probe_dll (the Windows path of the iphlpapi.dll that process loaded:
# the +loaddll line of the thread that loaded ping.exe), probe_load (native
# or builtin), probe_replies and probe_traces (our successful completion
# traces: only that process sends echoes), probe_log
probe_log=""
ping_probe() {
    # (by its path: a bare "ping" goes through start.exe, an extra process
    # that can fail on its own, "ShellExecuteEx failed")
    if [ "$1" = x86_64 ]; then loader=$(wine64_loader) exe=$sys64/ping.exe
    elif [ $win32 = 1 ]; then loader=$wine_path exe=$sys64/ping.exe
    else loader=$wine_path exe=$sys32/ping.exe; fi
    probe_log=$(mktemp)
    t=""
    if command -v timeout >/dev/null 2>&1; then t="timeout 60"; fi
    for try in 1 2 3; do   # (until ping.exe started: see wine_starts)
        WINEDEBUG=-all,err+winediag,+icmp,+loaddll $t "$loader" "$exe" -n 1 -w 3000 127.0.0.1 > "$probe_log" 2>&1 </dev/null || true
        pid=$(grep -i 'trace:loaddll:.*Loaded L"[^"]*ping\.exe"' "$probe_log" | head -n 1 | cut -d: -f1)
        if [ -n "$pid" ]; then break; fi
    done
    probe_dll="" probe_load="" probe_traces=0
    if [ -n "$pid" ]; then
        l=$(grep -i "^$pid:trace:loaddll:.*Loaded L\"[^\"]*iphlpapi\\.dll\"" "$probe_log" | head -n 1)
        probe_dll=$(printf '%s\n' "$l" | sed -n 's/.*Loaded L"\([^"]*\)".*/\1/p' | sed 's/\\\\/\\/g')
        probe_load=${l##*: }
        # (any thread of it: the debug prefix is the thread's id)
        probe_traces=$(grep -c ":trace:icmp:.*completed seq [0-9]*: status 0," "$probe_log" || true)
    fi
    probe_replies=$(tr -d '\r' < "$probe_log" | grep -c '^Reply from 127\.0\.0\.1' || true)
}
# unix_path WINPATH: a C:\ path of the prefix as a Unix path
unix_path() {
    printf '%s\n' "$1" | sed 's/^[Cc]:\\/\//; s/\\/\//g' | sed "s|^|$WINEPREFIX/drive_c|"
}

doctor_ping() {  # ARCH LABEL
    v="" who=""
    ping_probe "$1"
    if [ -n "$probe_dll" ]; then
        f=$(unix_path "$probe_dll")
        v=$(version_of "$f")
        if [ -n "$v" ]; then who="ours (icmp-echo $v)"; elif [ "$probe_load" = builtin ]; then who="Wine's builtin"
        else who="not ours, not Wine's ($probe_load)"; fi
    fi
    if [ -z "$probe_dll" ]; then
        line FIX "$2 programs: Wine's ping.exe did not start ($(tail -n 1 "$probe_log" | tr -d '\r'))" \
            "$(again install)"
    elif [ "$probe_replies" -ge 1 ] && [ "$probe_traces" -ge 1 ] && [ -n "$v" ]; then
        line ok "$2 programs: ping 127.0.0.1 answered through $probe_dll: $who"
    elif [ "$probe_replies" -ge 1 ]; then
        line FIX "$2 programs: ping 127.0.0.1 answered through $probe_dll: $who, so ours is not in use for them" \
            "$(again install)"
    elif grep -q 'cannot open an ICMP socket\|Failed to create a socket of type SOCK_RAW' "$probe_log"; then
        line FAIL "$2 programs: ping 127.0.0.1 failed through $probe_dll ($who): no ICMP socket (the \"ICMP sockets\" line below fixes it)"
    else
        line FIX "$2 programs: ping 127.0.0.1 got no reply through $probe_dll ($who): $(tr -d '\r' < "$probe_log" | grep -v ':trace:' | grep . | tail -n 1)" \
            "$(again install)"
    fi
    rm -f "$probe_log"
}

# the wineservers whose file capabilities give raw sockets
wineservers() {
    bin=$(dirname "$wine_path")
    real=$(dirname "$(readlink -f "$wine_path")")
    for s in "$bin/wineserver" "$real/wineserver" "$bin/wineserver64" "$real/wineserver64"; do
        [ -f "$s" ] && readlink -f "$s"
    done
    if [ -z "${WINE:-}" ]; then
        for s in /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver32 /usr/lib/wine/wineserver; do
            [ -f "$s" ] && echo "$s"
        done
    fi
}

doctor_sockets() {  # the ICMP and ICMPv6 lines
    proton=$1
    uid=$(id -u)
    # (one read: a sysctl file read a byte at a time, as dash's read does, ends after the first)
    range=$(cat /proc/sys/net/ipv4/ping_group_range 2>/dev/null) || range=""
    set -- $range
    lo=${1:-1} hi=${2:-0}
    groups=$(id -G)
    ingroup=""
    for g in $groups; do
        if [ "$g" -ge "$lo" ] && [ "$g" -le "$hi" ]; then ingroup=$g; break; fi
    done
    capped=""
    if command -v getcap >/dev/null 2>&1; then
        for s in $(wineservers | sort -u); do
            if getcap "$s" 2>/dev/null | grep -q cap_net_raw; then capped=$s; break; fi
        done
    fi
    if [ "$uid" = 0 ]; then route="raw sockets (running as root)"
    elif [ -n "$capped" ] && [ -z "$proton" ]; then route="raw sockets (CAP_NET_RAW on $capped)"
    elif [ -n "$ingroup" ]; then route="Linux ping sockets (group $ingroup is inside net.ipv4.ping_group_range \"$lo $hi\")"
    else route=""; fi
    # what a program in the prefix actually gets
    helper_arch=x86_64 loader=$(wine64_loader)
    if [ $win32 = 1 ]; then helper_arch=i386 loader=$wine_path; fi
    helper=$(ours "$helper_arch" icmp-echo-helper.exe)
    got=""
    if [ -n "${prefix_ok:-}" ] && [ -f "$helper" ]; then
        for try in 1 2 3; do   # (until it started: see wine_starts)
            got=$(WINEDEBUG=-all "$loader" "$helper" sockets 2>/dev/null </dev/null | tr -d '\r') || true
            case $got in *"icmp: "*) break ;; esac
        done
    fi
    icmp=$(printf '%s\n' "$got" | sed -n 's/^icmp: //p')
    icmpv6=$(printf '%s\n' "$got" | sed -n 's/^icmpv6: //p')
    fix='sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"'
    if [ "$lo $hi" = "1 0" ]; then
        why="wineserver has no CAP_NET_RAW${capped:+ that counts here}, and net.ipv4.ping_group_range is \"1 0\" (Debian's and Ubuntu's default: no group may open ping sockets)"
    else
        why="wineserver has no CAP_NET_RAW${capped:+ that counts here}, and none of this user's groups ($(echo "$groups" | tr ' ' ,)) is inside net.ipv4.ping_group_range (\"$lo $hi\")"
    fi
    if [ "$icmp" = ok ]; then
        line ok "ICMP sockets: ${route:-permitted (a program in the prefix opened one)}"
    elif [ -n "$icmp" ] || [ -z "$route" ]; then
        if [ -n "$proton" ]; then
            line FIX "ICMP sockets: not permitted: $why, so every ICMP call fails with ERROR_ACCESS_DENIED. Steam's container ignores file capabilities (setcap will not help): allow ping sockets" \
                "$fix   (keep it: a file in /etc/sysctl.d/)"
        else
            line FIX "ICMP sockets: not permitted: $why, so every ICMP call fails with ERROR_ACCESS_DENIED. Allow ping sockets (or: sudo setcap cap_net_raw+ep on the wineserver binary)" \
                "$fix   (keep it: a file in /etc/sysctl.d/)"
        fi
    else
        line ok "ICMP sockets: $route (not tried in the prefix: ${prefix_ok:+icmp-echo-helper.exe not found}${prefix_ok:-no usable prefix})"
    fi
    case $icmpv6 in
    ok) line ok "ICMPv6 sockets: this wineserver opens them (IPv6 echo works)" ;;
    "error 10013") line note "ICMPv6 sockets: not permitted (as for ICMP above)" ;;
    error*) line note "ICMPv6 sockets: this wineserver cannot open them ($icmpv6; no Wine release maps IPPROTO_ICMPV6 yet): IPv6 echo fails with ERROR_NOT_SUPPORTED, IPv4 is not affected" \
                "for IPv6: in icmp-echo's source tree, make wineserver-icmpv6, and start that server before the prefix's programs (README, IPv6)" ;;
    *) line note "ICMPv6 sockets: not tried (${prefix_ok:+icmp-echo-helper.exe not found}${prefix_ok:-no usable prefix})" ;;
    esac
}

doctor() {
    echo "icmp-echo $(version_of "$(ours x86_64 iphlpapi.dll)") doctor ($me): WINEPREFIX=${WINEPREFIX:-(not set)}"
    if [ -z "$wine_path" ]; then
        line FIX "Wine: no wine in PATH" "sudo apt install wine   (or say which Wine: WINE=/path/to/bin/wine $(q "$0") doctor)"
        echo "$me doctor: $fixes to fix"; exit 1
    fi
    line ok "Wine: $wine_path ($("$wine_path" --version 2>/dev/null | head -n 1 || echo "version unknown"))"
    if [ -n "$dlldir64" ]; then
        line ok "Wine's own DLLs: $dlldir64${dlldir32:+, $dlldir32}"
    else
        line FIX "Wine's own x86_64 DLLs (its iphlpapi.dll) were not found beside $wine_path" \
            "WINE_DLLDIR64=/path/to/x86_64-windows $(again doctor)"
    fi
    if [ -n "$dlldir32" ]; then
        line ok "32-bit programs: supported (Wine's i386 DLLs are installed)"
    elif [ -z "${WINE:-}" ] && command -v dpkg >/dev/null 2>&1; then
        line FIX "32-bit programs: Wine's 32-bit half (wine32) is not installed: 32-bit programs do not start" \
            "sudo dpkg --add-architecture i386 && sudo apt update && sudo apt install wine32:i386"
    else
        line FIX "32-bit programs: Wine's i386 DLLs were not found beside $wine_path" \
            "WINE_DLLDIR32=/path/to/i386-windows $(again doctor)"
    fi

    prefix_ok=""
    why=$(prefix_error)
    proton=$(is_proton)
    if [ -n "$why" ]; then
        if [ -z "${WINEPREFIX:-}" ]; then line FIX "prefix: $why" "WINEPREFIX=~/.wine $(q "$0") doctor"
        elif [ ! -d "$WINEPREFIX" ]; then line FIX "prefix: $why" "WINEPREFIX=$(q "$WINEPREFIX") $(q "$wine_path") wineboot -i"
        else line FIX "prefix: $why" "WINEPREFIX=/path/to/a/prefix $(q "$0") doctor"; fi
    else
        export WINEPREFIX
        if ! wine_starts; then
            line FIX "prefix: $WINEPREFIX: its programs do not start (a prefix made before wine32 was installed is like that)" \
                "mv $(q "$WINEPREFIX") $(q "$WINEPREFIX.old") && WINEPREFIX=$(q "$WINEPREFIX") $(q "$wine_path") wineboot -i"
        else
            prefix_ok=1
            if [ $win32 = 1 ]; then kind="32-bit (WINEARCH=win32)"
            elif [ -d "$sys32" ]; then kind="64-bit, with syswow64"; else kind="64-bit"; fi
            line ok "prefix: $WINEPREFIX ($kind)"
        fi
    fi

    if [ -n "$prefix_ok" ]; then
        have="" missing=""
        for t in $(targets | tr ' ' :); do
            dir=${t%:*} arch=${t#*:}
            v=$(version_of "$dir/iphlpapi.dll")
            name=${dir#"$WINEPREFIX"/drive_c/windows/}
            if [ -n "$v" ] && wine_builtin "$dir/iphlpapi_orig.dll"; then have="$have${have:+, }$name ($arch, $v)"
            elif [ -n "$v" ]; then missing="$missing${missing:+; }$name: ours without Wine's iphlpapi_orig.dll"
            elif wine_builtin "$dir/iphlpapi.dll"; then missing="$missing${missing:+; }$name: Wine's own iphlpapi.dll"
            else missing="$missing${missing:+; }$name: an iphlpapi.dll that is neither Wine's nor ours"; fi
        done
        ov=""
        read_overrides
        for f in $overrides; do
            v=$(get_override "$f") v2=$(get_override "*$f")
            case "$v,$v2" in n,b,*|native,builtin,*|*,n,b|*,native,builtin) ;; *) ov="$ov${ov:+, }$f=${v:-unset}" ;; esac
        done
        if [ -d "$saved" ]; then by="by setup_icmp.sh or icmp-echo-setup"; else by="by winetricks, Bottles or Lutris"; fi
        if [ -z "$missing" ] && [ -z "$ov" ]; then
            line ok "installed: ours in $have, Wine's original beside it as iphlpapi_orig.dll, overrides native,builtin; put there $by"
        elif [ -z "$have" ]; then
            line FIX "installed: no ($missing${ov:+; overrides $ov})" "$(again install)"
        else
            line FIX "installed: incompletely (${missing:-files ok}${ov:+; overrides $ov, not native,builtin})" "$(again install)"
        fi
        if [ $win32 = 0 ]; then doctor_ping x86_64 "64-bit"; else line note "64-bit programs: none in a 32-bit prefix"; fi
        if [ -n "$dlldir32" ] && { [ $win32 = 1 ] || [ -d "$sys32" ]; }; then doctor_ping i386 "32-bit"; fi
        # (in a Proton prefix Proton refreshes Wine's own DLLs: ours must not carry the builtin signature)
        if [ -n "$proton" ] && [ -n "$(version_of "$sys64/iphlpapi.dll")" ] && wine_builtin "$sys64/iphlpapi.dll"; then
            line FIX "Proton: the installed iphlpapi.dll carries Wine's builtin signature: Proton will replace it" "$(again install)"
        fi
    fi
    doctor_sockets "$proton"
    if [ -n "$proton" ]; then
        line note "Proton prefix ($proton): setcap on a wineserver does nothing in Steam's container, ping sockets (the sysctl) work; Proton keeps ours across its prefix updates (ours carries no builtin signature); to be sure the overrides hold, set the game's launch options to" \
            "WINEDLLOVERRIDES=\"iphlpapi,icmp=n,b\" %command%"
    else
        line ok "not a Proton prefix"
    fi
    if [ $((fixes + fails)) = 0 ]; then echo "$me doctor: everything works"; else echo "$me doctor: $fixes to fix (the commands above)"; fi
    [ $((fixes + fails)) = 0 ]
}

"$action"
