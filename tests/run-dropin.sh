#!/bin/bash
# Drop-in test: installs our DLLs into a fresh Wine prefix with
# tools/prefix-install.sh and checks that
#   - the installer refuses a missing or non-prefix WINEPREFIX, and uninstall
#     without an install;
#   - install is idempotent;
# and then, for each architecture (x86_64 in system32; i386 in syswow64,
# when wine32 is installed, else reported as SKIPPED):
#   - Wine's own `ping` of that architecture goes through our DLL
#     (WINEDEBUG=+icmp traces);
#   - GetAdaptersInfo, GetAdaptersAddresses, GetIfTable2, GetBestRoute2 and
#     GetNetworkParams give the same results as without our DLL, through its
#     forwards to iphlpapi_orig.dll;
#   - a program importing icmp.dll works, through our iphlpapi;
#   - the conformance suite passes against the prefix's (now our) iphlpapi;
#   - the installation survives `wineboot -u`;
# and uninstall restores the prefix exactly (file hashes of system32 and
# syswow64 and the DllOverrides key compared with before). With wine32, a
# 32-bit prefix (WINEARCH=win32) too: the i386 DLLs in its system32.
# With --dist DIR (an unpacked release tarball, `make check-dist`), the same
# checks run against that: its setup_icmp.sh installs its x64/ and x32/ DLLs.
# Only 127.0.0.1 is pinged. As root this runs in its own network namespace.
# As a user who may open no ICMP socket (no CAP_NET_RAW, no ping sockets for
# the group) it is SKIPPED, saying why.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build-dropin${BUILD_SUFFIX:-}
installer=$top/tools/prefix-install.sh
dist=""
if [ "${1:-}" = --dist ]; then
    [ -f "${2:-}/setup_icmp.sh" ] || { echo "run-dropin: --dist ${2:-}: no setup_icmp.sh there" >&2; exit 1; }
    dist=$(cd "$2" && pwd)
    installer=$dist/setup_icmp.sh
    out=$top/build-dropin-dist${BUILD_SUFFIX:-}
fi
# ours ARCH NAME: the DLL the installer must have put in place
ours() {
    if [ -n "$dist" ]; then
        if [ "$1" = i386 ]; then echo "$dist/x32/$2"; else echo "$dist/x64/$2"; fi
    else echo "dlls/${2%.dll}/$1-windows/$2"; fi
}
export WINEPREFIX=$out/prefix
export WINEDEBUG=-all
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY WINEDLLOVERRIDES
. tools/wineprefix.sh
. tests/results.sh   # (check)
check_tag=run-dropin
fail_setup() { echo "run-dropin: $*" >&2; exit 1; }
trap wine_cleanup EXIT
trap 'exit 130' INT TERM

if ! why=$(icmp_sockets_usable); then
    echo "SKIPPED: drop-in tests${dist:+ from the release tarball}: $why"
    exit 0
fi
unpriv_flag=""
icmp_raw_sockets || unpriv_flag="--unpriv"   # Linux ping sockets: no reply IP header
rm -rf "$out"
mkdir -p "$out"
wine_private_ns icmpdrop || true   # as root, in its own namespace
w() { wine_in "$@"; }

# the architectures this Wine runs: x86_64, and i386 with wine32 (where the
# installer finds Wine's i386 DLLs)
archs=x86_64
if "$installer" dlldir i386 >/dev/null; then archs="x86_64 i386"
else echo "SKIPPED: 32-bit drop-in checks (syswow64): wine32 is not installed (tools/install-deps.sh installs it)"; fi
sysdir() { if [ "$1" = i386 ]; then echo syswow64; else echo system32; fi; }
# wine_ping ARCH LOG ARGS...: Wine's own ping of ARCH (by its path, through
# that architecture's loader), with our traces and the loaded DLLs in LOG
wine_ping() {
    local a=$1 log=$2; shift 2
    WINEDEBUG=-all,+icmp,+loaddll w "$(wine_loader "$a")" "$WINEPREFIX/drive_c/windows/$(sysdir "$a")/ping.exe" "$@" \
        > "$log" 2>&1 < /dev/null
}
# ping_ours LOG ARCH N: N replies, our traces for N requests and their completions, and
# the ping process loaded that architecture's iphlpapi.dll from the prefix as native
ping_ours() {
    local log=$1 a=$2 n=$3
    [ "$(tr -d '\r' < "$log" | grep -c '^Reply from 127.0.0.1')" = "$n" ] &&
        [ "$(grep -c "$ICMP_TRACE_SENT" "$log")" = "$n" ] &&
        [ "$(grep -c "$ICMP_TRACE_DONE status 0," "$log")" = "$n" ] &&
        wine_loaded "$log" ping.exe "$(sysdir "$a")" native
}

# ---- refusals ----
refuses() {  # expected-message-part, then environment assignments
    local want=$1; shift
    env "$@" "$installer" install > "$out/refuse.txt" 2>&1 && return 1
    grep -q "$want" "$out/refuse.txt"
}
check "refuses without WINEPREFIX" refuses "WINEPREFIX is not set" -u WINEPREFIX
check "refuses a missing prefix" refuses "does not exist" WINEPREFIX="$out/nowhere"
mkdir -p "$out/not-a-prefix"
check "refuses a directory that is not a prefix" refuses "is not a Wine prefix" WINEPREFIX="$out/not-a-prefix"
check "an empty directory stays untouched" test -z "$(ls -A "$out/not-a-prefix")"

# ---- a fresh prefix ----
wine_fresh_prefix "$out/wineboot.log" || fail_setup "wineboot failed (see $out/wineboot.log)"
check "uninstall refuses when nothing is installed" bash -c '! "$0" uninstall >/dev/null 2>&1' "$installer"

state() {  # hashes of system32 and syswow64, and the override key
    (cd "$WINEPREFIX/drive_c/windows" && find system32 syswow64 -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum)
    w wine reg query 'HKCU\Software\Wine\DllOverrides' 2>/dev/null | tr -d '\r'
}
state > "$out/state-before.txt"
for a in $archs; do
    w wine "tests/$a-windows/iphlp_dump.exe" > "$out/$a-dump-before.txt" 2>&1
    w wine "tests/$a-windows/iphlp_dump.exe" --origins > "$out/$a-origins-before.txt" 2>&1
done

# ---- install ----
check "install" w "$installer" install
check "install again (idempotent)" w "$installer" install
state > "$out/state-installed.txt"
check "override set" grep -qi '"\?iphlpapi"\?.*native,builtin' "$out/state-installed.txt"

# the checks of one architecture in the installed prefix ($1: x86_64 or i386)
installed_checks() {
    local a=$1 dir d
    dir=$WINEPREFIX/drive_c/windows/$(sysdir "$a")
    d=$out/$a
    check "$a: installed files are ours" cmp -s "$(ours "$a" iphlpapi.dll)" "$dir/iphlpapi.dll"
    check "$a: icmp.dll is ours" cmp -s "$(ours "$a" icmp.dll)" "$dir/icmp.dll"
    check "$a: the original is beside it" test -f "$dir/iphlpapi_orig.dll"

    # Wine's own ping of this architecture goes through our DLL
    wine_ping "$a" "$d-ping.txt" -n 3 127.0.0.1
    check "$a: wine ping: 3 replies" test "$(tr -d '\r' < "$d-ping.txt" | grep -c '^Reply from 127.0.0.1')" = 3
    check "$a: wine ping: our traces for 3 requests" test "$(grep -c "$ICMP_TRACE_SENT" "$d-ping.txt")" = 3
    check "$a: wine ping: 3 completions traced" test "$(grep -c "$ICMP_TRACE_DONE status 0," "$d-ping.txt")" = 3
    check "$a: wine ping: the $a ping.exe, with $(sysdir "$a")\\iphlpapi.dll loaded as native" \
        wine_loaded "$d-ping.txt" ping.exe "$(sysdir "$a")" native

    # everything else still answers the same, through the forwards
    w wine "tests/$a-windows/iphlp_dump.exe" > "$d-dump-installed.txt" 2>&1
    w wine "tests/$a-windows/iphlp_dump.exe" --origins > "$d-origins-installed.txt" 2>&1
    check "$a: forwarded functions give the same results" cmp -s "$d-dump-before.txt" "$d-dump-installed.txt"
    check "$a: the dump is not empty" grep -q '^GetAdaptersAddresses: 0' "$d-dump-installed.txt"
    check "$a: before: iphlpapi was Wine's builtin" grep -q 'origin iphlpapi.dll: .*(Wine builtin)' "$d-origins-before.txt"
    # (a 32-bit process sees syswow64 as system32; Wine marks its builtins)
    check "$a: after: iphlpapi is ours" bash -c "tr -d '\r' < '$d-origins-installed.txt' | grep -qi 'origin iphlpapi.dll: .*system32.iphlpapi.dll\$'"
    check "$a: after: GetAdaptersInfo comes from iphlpapi_orig.dll" grep -qi 'origin GetAdaptersInfo: .*iphlpapi_orig.dll' "$d-origins-installed.txt"
    check "$a: after: GetIfTable2 comes from iphlpapi_orig.dll" grep -qi 'origin GetIfTable2: .*iphlpapi_orig.dll' "$d-origins-installed.txt"

    # a program importing icmp.dll
    w wine "tests/$a-windows/icmp_import.exe" > "$d-icmp-import.txt" 2>&1
    check "$a: icmp.dll importer gets a reply" grep -q 'reply from 127.0.0.1: 32 bytes, status 0' "$d-icmp-import.txt"
    check "$a: icmp.dll importer runs our code" bash -c "tr -d '\r' < '$d-icmp-import.txt' | grep -qi 'implemented in .*system32.iphlpapi.dll\$'"

    # the conformance suite against the prefix's iphlpapi, which is ours now
    w wine "tests/$a-windows/icmp_test.exe" --dll system $unpriv_flag > "$d-conformance-system.txt" 2>&1
    check "$a: conformance against the installed DLL" bash -c "tr -d '\r' < '$d-conformance-system.txt' | grep -q '^[0-9]* passed, 0 failed'"
    check "$a: ... which is not Wine's builtin" bash -c "! grep -q '(Wine builtin)' '$d-conformance-system.txt'"
}
for a in $archs; do installed_checks "$a"; done

# ---- wineboot -u ----
# (it updates the prefix in processes of its own: the next program must not
# start before they are all done, or Wine's start.exe may find ping.exe
# missing; wine_settled waits for that)
wine_settled wineboot -u > "$out/wineboot-u.log" 2>&1
for a in $archs; do
    check "$a: ours survives wineboot -u" cmp -s "$(ours "$a" iphlpapi.dll)" \
        "$WINEPREFIX/drive_c/windows/$(sysdir "$a")/iphlpapi.dll"
    wine_ping "$a" "$out/$a-ping-after-update.txt" -n 1 127.0.0.1
    check "$a: wine ping still ours after wineboot -u" ping_ours "$out/$a-ping-after-update.txt" "$a" 1
done

# ---- uninstall ----
check "uninstall" w "$installer" uninstall
state > "$out/state-after.txt"
check "uninstall restores files and overrides exactly" cmp -s "$out/state-before.txt" "$out/state-after.txt"
check "no saved state left" test ! -e "$WINEPREFIX/icmp-echo-saved"
for a in $archs; do
    wine_ping "$a" "$out/$a-ping-after.txt" -n 1 127.0.0.1
    check "$a: after uninstall, ping uses Wine's builtin again" bash -c "grep -q '^Reply from 127.0.0.1' <(tr -d '\r' < '$out/$a-ping-after.txt') && ! grep -q 'trace:icmp' '$out/$a-ping-after.txt'"
    check "$a: ... $(sysdir "$a")\\iphlpapi.dll loaded as builtin" wine_loaded "$out/$a-ping-after.txt" ping.exe "$(sysdir "$a")" builtin
done

# ---- a 32-bit prefix (WINEARCH=win32): the i386 DLLs go into its system32 ----
if [ "$archs" = "x86_64 i386" ]; then
    wine_stop
    (
        export WINEPREFIX=$out/prefix32 WINEARCH=win32
        wine_fresh_prefix "$out/wineboot32.log" || exit 1
        state > "$out/state32-before.txt"
        w "$installer" install > "$out/install32.txt" 2>&1 || exit 2
        cmp -s "$(ours i386 iphlpapi.dll)" "$WINEPREFIX/drive_c/windows/system32/iphlpapi.dll" || exit 3
        WINEDEBUG=-all,+icmp w wine ping -n 2 127.0.0.1 > "$out/ping32.txt" 2>&1
        [ "$(grep -c "$ICMP_TRACE_DONE status 0," "$out/ping32.txt")" = 2 ] || exit 4
        w "$installer" uninstall > "$out/uninstall32.txt" 2>&1 || exit 5
        state > "$out/state32-after.txt"
        cmp -s "$out/state32-before.txt" "$out/state32-after.txt" || exit 6
    )
    rc=$?
    WINEPREFIX=$out/prefix32 wine_stop
    check "win32 prefix: i386 DLLs in its system32, ping through ours, uninstall restores (step $rc failed)" test $rc = 0
fi

if [ "$checks_failed" != 0 ]; then
    echo "run-dropin: logs in $out"
    diff "$out/state-before.txt" "$out/state-after.txt" | head -20
fi
echo "drop-in${dist:+ from $dist} ($archs): $checks_passed passed, $checks_failed failed"
trap - EXIT
wine_cleanup
[ "$checks_failed" = 0 ] && rm -rf "$out"
[ "$checks_failed" = 0 ]
