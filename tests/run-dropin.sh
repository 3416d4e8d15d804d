#!/bin/bash
# Drop-in test: installs our DLLs into a fresh Wine prefix with
# tools/prefix-install.sh and checks that
#   - the installer refuses a missing or non-prefix WINEPREFIX, and uninstall
#     without an install;
#   - install is idempotent;
#   - Wine's own `ping` goes through our DLL (WINEDEBUG=+icmp traces);
#   - GetAdaptersInfo, GetAdaptersAddresses, GetIfTable2, GetBestRoute2 and
#     GetNetworkParams give the same results as without our DLL, through its
#     forwards to iphlpapi_orig.dll;
#   - a program importing icmp.dll works, through our iphlpapi;
#   - the conformance suite passes against the prefix's (now our) iphlpapi;
#   - the installation survives `wineboot -u`;
#   - uninstall restores the prefix exactly (file hashes of system32/syswow64
#     and the DllOverrides key compared with before).
# Only 127.0.0.1 is pinged. As root this runs in its own network namespace.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build-dropin
export WINEPREFIX=$out/prefix
export WINEDEBUG=-all
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY WINEDLLOVERRIDES
passed=0 failed=0
. tools/wineprefix.sh

check() {  # description, then a command that must succeed
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "run-dropin: FAILED: $what"; fi
}
fail_setup() { echo "run-dropin: $*" >&2; exit 1; }
trap wine_cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$out"
mkdir -p "$out"
wine_private_ns icmpdrop || true   # as root, in its own namespace
w() { wine_in "$@"; }

# ---- refusals ----
refuses() {  # expected-message-part, then environment assignments
    local want=$1; shift
    env "$@" "$top/tools/prefix-install.sh" install > "$out/refuse.txt" 2>&1 && return 1
    grep -q "$want" "$out/refuse.txt"
}
check "refuses without WINEPREFIX" refuses "WINEPREFIX is not set" -u WINEPREFIX
check "refuses a missing prefix" refuses "does not exist" WINEPREFIX="$out/nowhere"
mkdir -p "$out/not-a-prefix"
check "refuses a directory that is not a prefix" refuses "is not a Wine prefix" WINEPREFIX="$out/not-a-prefix"
check "an empty directory stays untouched" test -z "$(ls -A "$out/not-a-prefix")"

# ---- a fresh prefix ----
wine_fresh_prefix "$out/wineboot.log" || fail_setup "wineboot failed (see $out/wineboot.log)"
check "uninstall refuses when nothing is installed" bash -c '! "$0"/tools/prefix-install.sh uninstall >/dev/null 2>&1' "$top"

state() {  # hashes of system32 and syswow64, and the override key
    (cd "$WINEPREFIX/drive_c/windows" && find system32 syswow64 -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum)
    w wine reg query 'HKCU\Software\Wine\DllOverrides' 2>/dev/null | tr -d '\r'
}
state > "$out/state-before.txt"
w wine tests/x86_64-windows/iphlp_dump.exe > "$out/dump-before.txt" 2>&1
w wine tests/x86_64-windows/iphlp_dump.exe --origins > "$out/origins-before.txt" 2>&1

# ---- install ----
check "install" w tools/prefix-install.sh install
check "install again (idempotent)" w tools/prefix-install.sh install
state > "$out/state-installed.txt"
check "installed files are ours" cmp -s dlls/iphlpapi/x86_64-windows/iphlpapi.dll "$WINEPREFIX/drive_c/windows/system32/iphlpapi.dll"
check "icmp.dll is ours" cmp -s dlls/icmp/x86_64-windows/icmp.dll "$WINEPREFIX/drive_c/windows/system32/icmp.dll"
check "the original is beside it" test -f "$WINEPREFIX/drive_c/windows/system32/iphlpapi_orig.dll"
check "override set" grep -qi '"\?iphlpapi"\?.*native,builtin' "$out/state-installed.txt"

# ---- Wine's own ping goes through our DLL ----
WINEDEBUG=-all,+icmp w wine ping -n 3 127.0.0.1 > "$out/ping.txt" 2>&1
check "wine ping: 3 replies" test "$(tr -d '\r' < "$out/ping.txt" | grep -c '^Reply from 127.0.0.1')" = 3
check "wine ping: our traces for 3 requests" test "$(grep -c "$ICMP_TRACE_SENT" "$out/ping.txt")" = 3
check "wine ping: 3 completions traced" test "$(grep -c "$ICMP_TRACE_DONE status 0," "$out/ping.txt")" = 3

# ---- everything else still answers the same, through the forwards ----
w wine tests/x86_64-windows/iphlp_dump.exe > "$out/dump-installed.txt" 2>&1
w wine tests/x86_64-windows/iphlp_dump.exe --origins > "$out/origins-installed.txt" 2>&1
check "forwarded functions give the same results" cmp -s "$out/dump-before.txt" "$out/dump-installed.txt"
check "the dump is not empty" grep -q '^GetAdaptersAddresses: 0' "$out/dump-installed.txt"
check "before: iphlpapi was Wine's builtin" grep -q 'origin iphlpapi.dll: .*(Wine builtin)' "$out/origins-before.txt"
check "after: iphlpapi is ours" bash -c "tr -d '\r' < '$out/origins-installed.txt' | grep -qi 'origin iphlpapi.dll: .*system32.iphlpapi.dll\$'"
check "after: GetAdaptersInfo comes from iphlpapi_orig.dll" grep -qi 'origin GetAdaptersInfo: .*iphlpapi_orig.dll' "$out/origins-installed.txt"
check "after: GetIfTable2 comes from iphlpapi_orig.dll" grep -qi 'origin GetIfTable2: .*iphlpapi_orig.dll' "$out/origins-installed.txt"

# ---- a program importing icmp.dll ----
w wine tests/x86_64-windows/icmp_import.exe > "$out/icmp-import.txt" 2>&1
check "icmp.dll importer gets a reply" grep -q 'reply from 127.0.0.1: 32 bytes, status 0' "$out/icmp-import.txt"
check "icmp.dll importer runs our code" bash -c "tr -d '\r' < '$out/icmp-import.txt' | grep -qi 'implemented in .*system32.iphlpapi.dll\$'"

# ---- the conformance suite against the prefix's iphlpapi, which is ours now ----
w wine tests/x86_64-windows/icmp_test.exe --dll system > "$out/conformance-system.txt" 2>&1
check "conformance against the installed DLL" bash -c "tr -d '\r' < '$out/conformance-system.txt' | grep -q '^[0-9]* passed, 0 failed'"
check "... which is not Wine's builtin" bash -c "! grep -q '(Wine builtin)' '$out/conformance-system.txt'"

# ---- wineboot -u ----
w wineboot -u > "$out/wineboot-u.log" 2>&1
check "ours survives wineboot -u" cmp -s dlls/iphlpapi/x86_64-windows/iphlpapi.dll "$WINEPREFIX/drive_c/windows/system32/iphlpapi.dll"
WINEDEBUG=-all,+icmp w wine ping -n 1 127.0.0.1 > "$out/ping-after-update.txt" 2>&1
check "wine ping still ours after wineboot -u" grep -q "$ICMP_TRACE_DONE" "$out/ping-after-update.txt"

# ---- uninstall ----
check "uninstall" w tools/prefix-install.sh uninstall
state > "$out/state-after.txt"
check "uninstall restores files and overrides exactly" cmp -s "$out/state-before.txt" "$out/state-after.txt"
check "no saved state left" test ! -e "$WINEPREFIX/icmp-echo-saved"
WINEDEBUG=-all,+icmp w wine ping -n 1 127.0.0.1 > "$out/ping-after.txt" 2>&1
check "after uninstall, ping uses Wine's builtin again" bash -c "grep -q '^Reply from 127.0.0.1' <(tr -d '\r' < '$out/ping-after.txt') && ! grep -q 'trace:icmp' '$out/ping-after.txt'"

if [ "$failed" != 0 ]; then
    echo "run-dropin: logs in $out"
    diff "$out/state-before.txt" "$out/state-after.txt" | head -20
fi
echo "drop-in: $passed passed, $failed failed"
trap - EXIT
wine_cleanup
[ "$failed" = 0 ] && rm -rf "$out"
[ "$failed" = 0 ]
