#!/bin/bash
# The Wine-side suites under Debian 13's Wine 10, beside this machine's Wine:
# in a Debian 13 root made from Debian's archive (tools/debian-root.sh,
# cached in build-root-trixie/), with this tree's DLLs and test programs
# (built here once, as a user's release tarball is) and their results in
# build-*-trixie/.
#   tests/run-wine10.sh        make check-wine10 (part of make check):
#                              the ICMPv6-capable server built from Wine 10's
#                              source, conformance + stress (both
#                              architectures, IPv6 under that server), the
#                              drop-in suite from the release tarball, the
#                              Windows kit compared with Wine 10's own
#                              known differences (--assert), and
#                              setup_icmp.sh with WINE= naming Wine 10 at
#                              another path, from this machine
#   tests/run-wine10.sh lab    make check-lab WINE=10: the whole network lab
#   tests/run-wine10.sh other  setup_icmp.sh with WINE= alone
# Needs root (mmdebstrap, chroot, namespaces); otherwise SKIPPED, saying why.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
. tools/wineprefix.sh   # (ICMP_TRACE_DONE)
. tests/results.sh      # (check)
release=trixie
suffix=-$release
say() { printf 'wine10: %s\n' "$*"; }
fail() { say "$*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
    say "SKIPPED: the suites under Wine 10 (a Debian 13 root): they need root (mmdebstrap, chroot); sudo make check-wine10"
    exit 0
fi
tools/debian-root.sh make "$release" || fail "cannot make the Debian 13 root (see above)"
wine=$(tools/debian-root.sh wine "$release")
in_root() { tools/debian-root.sh run "$release" env BUILD_SUFFIX="$suffix" STRESS_SCALE="${STRESS_SCALE:-1}" STRESS_ARCHS="${STRESS_ARCHS-x86_64}" \
    ${KIT_PAGE_CHECK:+KIT_PAGE_CHECK=$KIT_PAGE_CHECK} "$@"; }

say "in $top/build-root-$release: $wine"
in_root tools/wineserver/build-wineserver.sh ||
    say "WARNING: no ICMPv6-capable wineserver for $wine: its IPv6 suites will be skipped (see above)"

# setup_icmp.sh with WINE= naming a Wine that is not the one in PATH: the
# root's Wine 10 behind a bin/wine of its own, with lib/wine/ beside it (a
# Proton or self-built Wine's layout), used from this machine, whose PATH
# has Wine 8. The installer must take Wine 10's own DLLs, run its commands
# through that Wine, and Wine 10's ping must go through ours.
other_wine() {
    local tree=$1 ow=$top/build-otherwine$suffix root=$top/build-root-$release a d sys orig
    checks_passed=0 checks_failed=0 check_tag="wine10: other Wine"
    rm -rf "$ow" && mkdir -p "$ow/bin" "$ow/lib/wine" || return 1
    ln -s "$root/usr/lib/x86_64-linux-gnu/wine/x86_64-windows" "$ow/lib/wine/x86_64-windows"
    ln -s "$root/usr/lib/i386-linux-gnu/wine/i386-windows" "$ow/lib/wine/i386-windows"
    cat > "$ow/bin/wine" <<EOF
#!/bin/sh
# the Wine 10 of $root, as another Wine at another path
exec "$top/tools/debian-root.sh" run $release env WINEPREFIX="\$WINEPREFIX" WINEDEBUG="\${WINEDEBUG:--all}" \\
    \${WINE64:+WINE64=1} sh -c 'if [ -n "\${WINE64:-}" ]; then exec /usr/lib/wine/wine64 "\$@"; else exec wine "\$@"; fi' wine "\$@"
EOF
    chmod +x "$ow/bin/wine"
    export WINEPREFIX=$ow/prefix
    # (wineserver -w: the registry is on disk once the server has gone)
    "$ow/bin/wine" wineboot -i > "$ow/wineboot.log" 2>&1 &&
        "$top/tools/debian-root.sh" run $release env WINEPREFIX="$WINEPREFIX" wineserver -w ||
        { say "other Wine: wineboot failed (see $ow/wineboot.log)"; return 1; }
    check "its version is Wine 10's" sh -c '"$0" --version | grep -q "^wine-10"' "$ow/bin/wine"
    check "install through WINE=" env WINE="$ow/bin/wine" "$tree/setup_icmp.sh" install
    for a in x86_64 i386; do
        case $a in x86_64) sys=system32 d=x64 ;; i386) sys=syswow64 d=x32 ;; esac
        orig=$ow/lib/wine/$a-windows/iphlpapi.dll
        check "$a: ours installed" cmp -s "$tree/$d/iphlpapi.dll" "$WINEPREFIX/drive_c/windows/$sys/iphlpapi.dll"
        check "$a: the original beside it is Wine 10's" cmp -s "$orig" "$WINEPREFIX/drive_c/windows/$sys/iphlpapi_orig.dll"
        # (by path: on a Debian 13 machine this Wine's files are the same as the other's)
        check "$a: taken from beside WINE, not from this machine's Wine" \
            test "$(realpath -s "$(WINE="$ow/bin/wine" "$tree/setup_icmp.sh" dlldir $a)")" = "$ow/lib/wine/$a-windows"
        if [ $a = x86_64 ]; then
            WINE64=1 WINEDEBUG=-all,+icmp "$ow/bin/wine" ping -n 2 127.0.0.1 > "$ow/ping-$a.txt" 2>&1
        else
            WINEDEBUG=-all,+icmp "$ow/bin/wine" 'C:\windows\syswow64\ping.exe' -n 2 127.0.0.1 > "$ow/ping-$a.txt" 2>&1
        fi
        check "$a: Wine 10's ping through ours (2 completions traced)" \
            test "$(grep -c "$ICMP_TRACE_DONE status 0," "$ow/ping-$a.txt")" = 2
    done
    check "uninstall through WINE=" env WINE="$ow/bin/wine" "$tree/setup_icmp.sh" uninstall
    check "x86_64: Wine 10's iphlpapi.dll back" sh -c '! cmp -s "$0" "$1"' "$tree/x64/iphlpapi.dll" \
        "$WINEPREFIX/drive_c/windows/system32/iphlpapi.dll"
    check "nothing of ours left" test ! -e "$WINEPREFIX/drive_c/windows/system32/iphlpapi_orig.dll" -a \
        ! -e "$WINEPREFIX/icmp-echo-saved"
    "$top/tools/debian-root.sh" run $release env WINEPREFIX="$WINEPREFIX" wineserver -k 2>/dev/null
    unset WINEPREFIX
    say "other Wine (setup_icmp.sh with WINE=, Wine 10 at $ow/bin/wine): $checks_passed passed, $checks_failed failed"
    [ $checks_failed = 0 ]
}

rc=0
run() {  # LABEL CMD...: a suite in the root, its status kept
    local label=$1; shift
    say "---- $label under $wine ----"
    in_root "$@" || { say "$label under $wine: FAILED"; rc=1; }
}
unpack() {
    version=$(tools/dist/version.sh)
    [ -f "build-dist/icmp-echo-$version.tar.gz" ] || fail "no release tarball (make dist)"
    rm -rf "build-dist/unpacked$suffix" && mkdir -p "build-dist/unpacked$suffix" &&
        tar -xzf "build-dist/icmp-echo-$version.tar.gz" -C "build-dist/unpacked$suffix" || fail "cannot unpack the tarball"
}
case ${1:-check} in
other)
    unpack
    other_wine "build-dist/unpacked$suffix/icmp-echo-$version" || rc=1
    ;;
check)
    unpack
    run conformance tests/run-conformance.sh
    run drop-in tests/run-dropin.sh --dist "build-dist/unpacked$suffix/icmp-echo-$version"
    KIT_PAGE_CHECK=0 run kit tests/run-kit.sh --assert
    # (the root has no browser: its comparison page is drawn from here)
    tests/check-page.sh "build-kit$suffix/compare.html" 4 || rc=1
    say "---- setup_icmp.sh with WINE=another Wine ----"
    other_wine "build-dist/unpacked$suffix/icmp-echo-$version" || rc=1
    ;;
lab)
    run lab tests/run-lab.sh
    ;;
*) fail "usage: $0 [check|lab|other]" ;;
esac
exit $rc
