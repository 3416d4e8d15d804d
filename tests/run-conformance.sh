#!/bin/bash
# Runs the conformance suite (tests/<arch>-windows/icmp_test.exe) under Wine
# against our DLL and against Wine's builtin iphlpapi, one process per test
# (a crash in one implementation costs only that test), and prints where the
# two differ. Our failures fail the run; the builtin's are only reported.
#
# As root, everything runs in a private network namespace ("loopback lab")
# whose loopback has a silent address and addresses that answer with ICMP
# errors (iptables), so timeouts and errors are tested without any traffic
# leaving the machine. Its wineserver is started inside the namespace and
# checked to be there before any test sends a packet. Without root (or
# without ip netns/iptables) the suite runs on the host's loopback and the
# lab tests are reported as skipped.
#
# A test process that does not end within TEST_TIMEOUT seconds (default 60)
# is killed and reported as HUNG.
# Environment: ARCHS (default "x86_64 i386"), TESTS (default: all),
# KEEP_LOGS=1 to keep build-test/ logs (always kept on failure).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build-test
export WINEPREFIX=$out/prefix
export WINEDEBUG=${WINEDEBUG:--all}
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY
. tools/wineprefix.sh
. tests/results.sh

say() { printf '%s\n' "$*"; }
fail() { say "run-conformance: $*" >&2; exit 1; }

trap wine_cleanup EXIT
trap 'exit 130' INT TERM

command -v wine >/dev/null || fail "wine is not installed"
rm -rf "$out"
mkdir -p "$out"

# ---- the loopback lab ----
lab_flag=""
if wine_private_ns icmplab; then
    rules_ok=1
    add() { ip netns exec "$WINE_NS" iptables -A INPUT -p icmp --icmp-type echo-request "$@" || rules_ok=0; }
    add -d 127.0.0.3 -j DROP
    add -d 127.0.0.4 -j REJECT --reject-with icmp-net-unreachable
    add -d 127.0.0.5 -j REJECT --reject-with icmp-host-unreachable
    add -d 127.0.0.6 -j REJECT --reject-with icmp-proto-unreachable
    add -d 127.0.0.7 -j REJECT --reject-with icmp-port-unreachable
    add -d 127.0.0.8 -j REJECT --reject-with icmp-net-prohibited
    add -d 127.0.0.9 -j REJECT --reject-with icmp-host-prohibited
    add -d 127.0.0.10 -j REJECT --reject-with icmp-admin-prohibited
    ip netns exec "$WINE_NS" iptables -A OUTPUT -p icmp --icmp-type echo-request -d 127.0.0.11 -j DROP || rules_ok=0
    if [ $rules_ok = 1 ]; then lab_flag="--lab"
    else say "SKIPPED: iptables rules could not be added: lab tests (timeouts, ICMP errors) will be skipped"; fi
else
    say "SKIPPED: not root or no 'ip netns': running on the host's loopback; lab tests (timeouts, ICMP errors) will be skipped"
fi

# ---- a fresh prefix whose wineserver lives in the lab ----
wine_fresh_prefix "$out/wineboot.log" || fail "cannot create the Wine prefix (see $out/wineboot.log)"
if [ -n "${WINE_NS:-}" ]; then
    where=$(wine_server_ns) || fail "$where"
    say "lab: $where"
fi

# ---- run ----
table=$out/table.txt
: > "$table"

run_target() {  # arch target-label dll-arg override [extra args]
    local arch=$1 label=$2 dll=$3 override=$4 extra=${5:-} t log list rc
    local exe=tests/$arch-windows/icmp_test.exe
    list=${TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r' | grep -vx icmp_forwards)}
    [ "$label" = icmp ] && list=${TESTS:-$ICMP_TESTS}
    for t in $list; do
        log=$out/$arch-$label-$t.log
        WINEDLLOVERRIDES=$override wine_in timeout "${TEST_TIMEOUT:-60}" wine "$exe" --dll "$dll" $extra $lab_flag "$t" \
            > "$log" 2>&1
        rc=$?
        record "$arch" "$t" "$label" "$log" $rc
        [ $rc = 124 ] && restart_after_hang
    done
}
# a hung test may leave the prefix's services wedged (Wine's builtin, once a
# request of an exited thread never completed, answered nothing more): the
# next test starts on a fresh wineserver, checked to be in the lab again
restart_after_hang() {
    say "  (a test hung: restarting the prefix's wineserver)"
    wine_restart
    if [ -n "${WINE_NS:-}" ]; then where=$(wine_server_ns) || fail "$where"; fi
}

# through our icmp.dll (its exports forward to our iphlpapi.dll)
ICMP_TESTS="icmp_forwards sync_echo event apc timeouts icmp_errors caller_mozillavpn"

# icmp_stress.exe (our DLL only; STRESS_SCALE divides its sizes, 1 = full)
run_stress() {
    local arch=$1 t log
    local exe=tests/$arch-windows/icmp_stress.exe
    for t in ${STRESS_TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r')}; do
        log=$out/$arch-stress-$t.log
        WINEDLLOVERRIDES=iphlpapi=n wine_in timeout "${STRESS_TIMEOUT:-300}" wine "$exe" \
            --dll "dlls/iphlpapi/$arch-windows/iphlpapi.dll" --scale "${STRESS_SCALE:-1}" $lab_flag "$t" > "$log" 2>&1
        record "$arch" "$t" stress "$log" $?
    done
}

archs=${ARCHS:-x86_64 i386}
ran_archs=""
for arch in $archs; do
    exe=tests/$arch-windows/icmp_test.exe
    [ -f "$exe" ] || fail "$exe is not built (run make)"
    if ! wine_runs_arch "$exe" icmp_forwards; then
        say ""
        say "SKIPPED: $arch conformance tests: this Wine cannot run $arch programs (wine32 is not installed)"
        say ""
        continue
    fi
    ran_archs="$ran_archs $arch"
    say "running $arch tests against our DLL and against Wine's builtin..."
    run_target "$arch" ours "dlls/iphlpapi/$arch-windows/iphlpapi.dll" "iphlpapi=n"
    run_target "$arch" builtin system ""
    run_target "$arch" icmp "dlls/iphlpapi/$arch-windows/iphlpapi.dll" "iphlpapi,icmp=n" "--icmp dlls/icmp/$arch-windows/icmp.dll"
    say "running $arch stress, lifecycle, leak and isolation tests against our DLL..."
    run_stress "$arch"
done
[ -n "$ran_archs" ] || fail "no architecture could run"

# ---- report ----

for arch in $ran_archs; do
    say ""
    say "== $arch: conformance, ours vs Wine's builtin (passed/failed/skipped) =="
    results_table "$arch" ours builtin
    say ""
    say "-- $arch: ours through our icmp.dll (passed/failed/skipped) --"
    results_table "$arch" icmp
    say ""
    say "-- $arch: stress, lifecycle, leaks, isolation: ours (passed/failed/skipped) --"
    results_table "$arch" stress
    for f in "$out/$arch-stress-"*.log; do tr -d '\r' < "$f" | grep -E ': trace: ' | sed 's/^/  /'; done
    say ""
    say "-- $arch: checks Wine's builtin fails (ours passes them unless listed below) --"
    results_lines "$RESULTS_FAILED" "$out/$arch-builtin-" "$out/$arch-builtin-"*.log | head -60
    say ""
    say "-- $arch: checks our DLL fails or skips --"
    results_lines "$RESULTS_NOT_PASSED" "$out/$arch-" "$out/$arch-ours-"*.log "$out/$arch-icmp-"*.log \
        "$out/$arch-stress-"*.log
    results_add "$arch" ours icmp stress
done

say ""
say "conformance (our DLL:$ran_archs): $results_crashed test processes crashed or hung"
say "$results_passed passed, $results_failed failed, $results_skipped skipped"
if [ "$results_failed" != 0 ]; then
    say "logs: $out"
    trap - EXIT; wine_cleanup
    exit 1
fi
trap - EXIT
wine_cleanup
[ "${KEEP_LOGS:-0}" = 1 ] || rm -f "$out"/*.log
exit 0
