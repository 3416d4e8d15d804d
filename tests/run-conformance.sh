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
# STRESS_TESTS (default: all), STRESS_ARCHS (default: ARCHS), STRESS_SEEDS
# (schedule jitter runs, below: STRESS_JITTER_TESTS, STRESS_JITTER_ARCHS,
# STRESS_JITTER_SCALE),
# KEEP_LOGS=1 to keep build-test/ logs (always kept on failure), OURS=DIR
# (DIR/<arch>/iphlpapi.dll as ours: a before/after run).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build-test${BUILD_SUFFIX:-}
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
if ! why=$(icmp_sockets_usable); then
    say "SKIPPED: the conformance and stress suites: $why"
    exit 0
fi
rm -rf "$out"
mkdir -p "$out"

# ---- the loopback lab ----
lab_flag=""
# without raw sockets (an ordinary user: Linux ping sockets) the checks that
# need the reply's IP header are skipped
unpriv_flag=""
icmp_raw_sockets || unpriv_flag="--unpriv"
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
    # the same for IPv6, on fd00:7f::/64 on lo (the icmp6_lab test)
    ip netns exec "$WINE_NS" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 net.ipv6.icmp.ratelimit=0 || rules_ok=0
    for i in 2 3 4 5 6 7 8 9 11; do ip netns exec "$WINE_NS" ip -6 addr add "fd00:7f::$i/128" dev lo nodad || rules_ok=0; done
    add6() { ip netns exec "$WINE_NS" ip6tables -A INPUT -p icmpv6 --icmpv6-type echo-request "$@" || rules_ok=0; }
    add6 -d fd00:7f::3 -j DROP
    add6 -d fd00:7f::4 -j REJECT --reject-with icmp6-no-route
    add6 -d fd00:7f::5 -j REJECT --reject-with icmp6-adm-prohibited
    add6 -d fd00:7f::6 -j REJECT --reject-with icmp6-addr-unreachable
    add6 -d fd00:7f::7 -j REJECT --reject-with icmp6-port-unreachable
    add6 -d fd00:7f::8 -j REJECT --reject-with icmp6-policy-fail
    add6 -d fd00:7f::9 -j REJECT --reject-with icmp6-reject-route
    ip netns exec "$WINE_NS" ip6tables -A OUTPUT -p icmpv6 --icmpv6-type echo-request -d fd00:7f::11 -j DROP || rules_ok=0
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

run_target() {  # arch target-label dll-arg override [extra args]; $only: the tests (default: all)
    local arch=$1 label=$2 dll=$3 override=$4 extra=${5:-} t log list rc
    local exe=tests/$arch-windows/icmp_test.exe
    list=${only:-${TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r' | grep -vx icmp_forwards)}}
    [ "$label" = icmp ] && list=${TESTS:-$ICMP_TESTS}
    for t in $list; do
        log=$out/$arch-$label-$t.log
        WINEDLLOVERRIDES=$override wine_in timeout "${TEST_TIMEOUT:-60}" wine "$exe" --dll "$dll" $extra $lab_flag $unpriv_flag "$t" \
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

# icmp_stress.exe (our DLL only; STRESS_SCALE divides its sizes, 1 = full);
# label stress: its IPv4 tests, stress6: its IPv6 ones (v6_*), stress-jN:
# the IPv4 ones again with schedule jitter of seed N (STRESS_SEEDS, each a
# run with ICMP_ECHO_TEST_FAULTS=jitter=N: random pauses at every hand-off
# point of the engine; STRESS_JITTER_SCALE divides those runs' sizes)
run_stress() {
    local arch=$1 label=$2 t log faults="" scale=${STRESS_SCALE:-1}
    local exe=tests/$arch-windows/icmp_stress.exe
    local list=${STRESS_TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r')}
    case $label in stress-j*) faults=jitter=${label#stress-j}; scale=${STRESS_JITTER_SCALE:-$scale}
                              list=${STRESS_JITTER_TESTS:-$list} ;; esac
    for t in $list; do
        case $label:$t in stress*:v6_*) [ "$label" = stress6 ] || continue ;; stress6:*) continue ;; esac
        log=$out/$arch-$label-$t.log
        ICMP_ECHO_TEST_FAULTS=$faults WINEDLLOVERRIDES=iphlpapi=n wine_in timeout "${STRESS_TIMEOUT:-300}" wine "$exe" \
            --dll "$(ours_dll $arch)" --scale "$scale" $lab_flag "$t" > "$log" 2>&1
        record "$arch" "$t" "$label" "$log" $?
    done
}

# Under stock Wine (no ICMPv6 in its server) a failed ICMPv6 socket open is
# remembered: one WARN in a process that calls Icmp6SendEcho2 many times
check_icmp6_open_once() {
    local arch=$1 log=$out/$arch-ours-icmp6_open_once.log n
    WINEDEBUG=warn+icmp WINEDLLOVERRIDES=iphlpapi=n wine_in timeout "${TEST_TIMEOUT:-60}" \
        wine "tests/$arch-windows/icmp_test.exe" --dll "$(ours_dll $arch)" icmp6_args \
        > "$log.trace" 2>&1
    n=$(grep -c 'cannot open a raw ICMPv6 socket' "$log.trace")
    if [ "$n" = 1 ]; then
        echo "summary: icmp6_open_once 1 0 0 0" > "$log"
    else
        { echo "icmp6_open_once: Test failed: $n WARN lines of a failed ICMPv6 socket open, expected 1 (see $log.trace)"
          echo "summary: icmp6_open_once 0 1 0 0"; } > "$log"
    fi
    record "$arch" icmp6_open_once ours "$log" 0
}

# The IPv6 suites under the ICMPv6-capable wineserver (tools/wineserver):
# the prefix's server is replaced by it, checked to be it (and in the lab)
v6server=$(icmpv6_server) || { v6why=$v6server; v6server=""; }
use_server() {  # PATH, or "" for Wine's own
    if [ -n "$1" ]; then export WINE_SERVER=$1; else unset WINE_SERVER; fi
    wine_restart
    where=$(wine_server_ns 2>&1) || [ -z "${WINE_NS:-}" ] || fail "$where"
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
    run_target "$arch" ours "$(ours_dll $arch)" "iphlpapi=n"
    run_target "$arch" builtin system ""
    run_target "$arch" icmp "$(ours_dll $arch)" "iphlpapi,icmp=n" "--icmp dlls/icmp/$arch-windows/icmp.dll"
    case " ${STRESS_ARCHS:-$archs} " in *" $arch "*)
        say "running $arch stress, lifecycle, leak and isolation tests against our DLL..."
        run_stress "$arch" stress ;;
    *) say "($arch: the stress suite runs on ${STRESS_ARCHS} only in this run)" ;;
    esac
    case " ${STRESS_JITTER_ARCHS:-$archs} " in *" $arch "*)
        for seed in ${STRESS_SEEDS:-}; do
            say "running $arch stress tests with schedule jitter, seed $seed..."
            run_stress "$arch" "stress-j$seed"
        done ;;
    esac
    check_icmp6_open_once "$arch"
    if [ -n "$v6server" ]; then
        v6list=$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r' | grep '^icmp6_' |
                 grep -xF "$(printf '%s\n' ${TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r')})")
        use_server "$v6server"
        say "running $arch IPv6 tests under the ICMPv6-capable wineserver: $where"
        # an empty list (TESTS names no icmp6_ test) must not fall back to all tests
        if [ -n "$v6list" ]; then
            only=$v6list run_target "$arch" ours6 "$(ours_dll $arch)" "iphlpapi=n"
            only=$v6list run_target "$arch" builtin6 system ""
        fi
        case " ${STRESS_ARCHS:-$archs} " in *" $arch "*) run_stress "$arch" stress6 ;; esac
        use_server ""
    fi
done
[ -n "$ran_archs" ] || fail "no architecture could run"

# ---- report ----

for arch in $ran_archs; do
    say ""
    say "== $arch: conformance, ours vs Wine's builtin (passed/failed/skipped) =="
    results_table "$arch" ours builtin
    say ""
    if [ -n "$v6server" ]; then
        say "-- $arch: IPv6 under the ICMPv6-capable wineserver ($v6server): ours vs Wine's builtin --"
        results_table "$arch" ours6 builtin6
    else
        say "SKIPPED: $arch IPv6 echoes: no ICMPv6-capable wineserver ($v6why); under Wine's own server"
        say "SKIPPED: only the clean failure (ERROR_NOT_SUPPORTED, buffer untouched) is checked"
    fi
    say ""
    say "-- $arch: ours through our icmp.dll (passed/failed/skipped) --"
    results_table "$arch" icmp
    say ""
    say "-- $arch: stress, lifecycle, leaks, isolation: ours (passed/failed/skipped) --"
    results_table "$arch" stress
    [ -n "$v6server" ] && results_table "$arch" stress6 | tail -n +2
    for seed in ${STRESS_SEEDS:-}; do
        say "-- $arch: stress with schedule jitter, seed $seed --"
        results_table "$arch" "stress-j$seed"
    done
    for f in "$out/$arch-stress"*.log; do tr -d '\r' < "$f" | grep -E ': trace: ' | sed 's/^/  /'; done
    say ""
    say "-- $arch: checks Wine's builtin fails (ours passes them unless listed below) --"
    results_lines "$RESULTS_FAILED" "$out/$arch-builtin-" "$out/$arch-builtin-"*.log | head -60
    if [ -n "$v6server" ]; then
        say "-- $arch: under the ICMPv6-capable wineserver (its Icmp6 functions are stubs) --"
        results_lines "$RESULTS_FAILED" "$out/$arch-builtin6-" "$out/$arch-builtin6-"*.log | head -20
    fi
    say ""
    say "-- $arch: checks our DLL fails or skips --"
    results_lines "$RESULTS_NOT_PASSED" "$out/$arch-" "$out/$arch-ours-"*.log "$out/$arch-icmp-"*.log \
        "$out/$arch-stress-"*.log "$out/$arch-ours6-"*.log "$out/$arch-stress6-"*.log
    results_add "$arch" ours icmp stress ours6 stress6 $(for seed in ${STRESS_SEEDS:-}; do echo "stress-j$seed"; done)
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
