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
ns=""
. tools/wineprefix.sh
. tests/results.sh

say() { printf '%s\n' "$*"; }
fail() { say "run-conformance: $*" >&2; exit 1; }

cleanup() {
    wine_stop
    [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v wine >/dev/null || fail "wine is not installed"
rm -rf "$out"
mkdir -p "$out"

# ---- the loopback lab ----
nsexec=()
lab_flag=""
if [ "$(id -u)" = 0 ] && ip netns add "icmplab-$$" 2>/dev/null; then
    ns="icmplab-$$"
    ip netns exec "$ns" ip link set lo up
    rules_ok=1
    add() { ip netns exec "$ns" iptables -A INPUT -p icmp --icmp-type echo-request "$@" || rules_ok=0; }
    add -d 127.0.0.3 -j DROP
    add -d 127.0.0.4 -j REJECT --reject-with icmp-net-unreachable
    add -d 127.0.0.5 -j REJECT --reject-with icmp-host-unreachable
    add -d 127.0.0.6 -j REJECT --reject-with icmp-proto-unreachable
    add -d 127.0.0.7 -j REJECT --reject-with icmp-port-unreachable
    add -d 127.0.0.8 -j REJECT --reject-with icmp-net-prohibited
    add -d 127.0.0.9 -j REJECT --reject-with icmp-host-prohibited
    add -d 127.0.0.10 -j REJECT --reject-with icmp-admin-prohibited
    ip netns exec "$ns" iptables -A OUTPUT -p icmp --icmp-type echo-request -d 127.0.0.11 -j DROP || rules_ok=0
    nsexec=(ip netns exec "$ns")
    export WINE_NS=$ns
    if [ $rules_ok = 1 ]; then lab_flag="--lab"
    else say "SKIPPED: iptables rules could not be added: lab tests (timeouts, ICMP errors) will be skipped"; fi
else
    say "SKIPPED: not root or no 'ip netns': running on the host's loopback; lab tests (timeouts, ICMP errors) will be skipped"
fi

# ---- a fresh prefix whose wineserver lives in the lab ----
wine_fresh_prefix "$out/wineboot.log" || fail "cannot create the Wine prefix (see $out/wineboot.log)"
if [ -n "$ns" ]; then
    where=$(wine_server_ns) || fail "$where"
    say "lab: $where"
fi

# ---- run ----
ours_passed=0 ours_failed=0 ours_skipped=0 ours_crashed=0
table=$out/table.txt
: > "$table"

run_target() {  # arch target-label dll-arg override [extra args]
    local arch=$1 label=$2 dll=$3 override=$4 extra=${5:-} exe=tests/$arch-windows/icmp_test.exe t log
    local list
    list=${TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r' | grep -vx icmp_forwards)}
    [ "$label" = icmp ] && list=${TESTS:-$ICMP_TESTS}
    for t in $list; do
        log=$out/$arch-$label-$t.log
        WINEDLLOVERRIDES=$override timeout "${TEST_TIMEOUT:-60}" "${nsexec[@]}" wine "$exe" --dll "$dll" $extra $lab_flag "$t" > "$log" 2>&1
        record "$arch" "$t" "$label" "$log" $?
    done
}
# through our icmp.dll (its exports forward to our iphlpapi.dll)
ICMP_TESTS="icmp_forwards sync_echo event apc timeouts icmp_errors caller_mozillavpn"

# icmp_stress.exe (our DLL only; STRESS_SCALE divides its sizes, 1 = full)
run_stress() {
    local arch=$1 exe=tests/$arch-windows/icmp_stress.exe t log
    for t in ${STRESS_TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r')}; do
        log=$out/$arch-stress-$t.log
        WINEDLLOVERRIDES=iphlpapi=n timeout "${STRESS_TIMEOUT:-300}" "${nsexec[@]}" wine "$exe" \
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

# lists one of our runs (label) for an arch and adds it to our totals
list_ours() {  # arch label
    local a t label p f todo sk
    while read -r a t label p f todo sk; do
        [ "$a" = "$1" ] && [ "$label" = "$2" ] || continue
        if [ "$p" = crashed ]; then
            printf '%-22s %s\n' "$t" "CRASHED($f)"; ours_crashed=$((ours_crashed + 1)); ours_failed=$((ours_failed + 1))
        else
            printf '%-22s %s\n' "$t" "$p/$f/$sk"
            ours_passed=$((ours_passed + p)); ours_failed=$((ours_failed + f)); ours_skipped=$((ours_skipped + sk))
        fi
    done < "$table"
}
for arch in $ran_archs; do
    say ""
    say "== $arch: conformance, ours vs Wine's builtin (passed/failed/skipped) =="
    printf '%-22s %-18s %-18s %s\n' test ours builtin ""
    for t in $(awk -v a="$arch" '$1 == a && $3 == "ours" {print $2}' "$table"); do
        o=$(awk -v a="$arch" -v t="$t" '$1 == a && $2 == t && $3 == "ours"' "$table")
        b=$(awk -v a="$arch" -v t="$t" '$1 == a && $2 == t && $3 == "builtin"' "$table")
        fmt() { set -- $1; if [ "$4" = crashed ]; then [ "$5" = rc=124 ] && echo "HUNG" || echo "CRASHED($5)"; else echo "$4/$5/$7"; fi; }
        of=$(fmt "$o"); bf=$(fmt "$b")
        mark=""
        ofail=$(set -- $o; [ "$4" = crashed ] && echo x || echo "$5")
        bfail=$(set -- $b; [ "$4" = crashed ] && echo x || echo "$5")
        [ "$ofail" != "$bfail" ] && mark="<- differs"
        printf '%-22s %-18s %-18s %s\n' "$t" "$of" "$bf" "$mark"
        set -- $o
        if [ "$4" = crashed ]; then ours_crashed=$((ours_crashed + 1)); ours_failed=$((ours_failed + 1))
        else ours_passed=$((ours_passed + $4)); ours_failed=$((ours_failed + $5)); ours_skipped=$((ours_skipped + $7)); fi
    done
    say ""
    say "-- $arch: ours through our icmp.dll (passed/failed/skipped) --"
    list_ours "$arch" icmp
    say ""
    say "-- $arch: stress, lifecycle, leaks, isolation: ours (passed/failed/skipped) --"
    list_ours "$arch" stress
    for f in "$out/$arch-stress-"*.log; do tr -d '\r' < "$f" | grep -E ': trace: ' | sed 's/^/  /'; done
    say ""
    say "-- $arch: checks Wine's builtin fails (ours passes them unless listed below) --"
    for f in "$out/$arch-builtin-"*.log; do
        t=${f#$out/$arch-builtin-}; t=${t%.log}
        tr -d '\r' < "$f" | grep -E 'Test failed|Test succeeded inside todo' | sed "s/^/  [$t] /" | sort -u | head -20
    done
    say ""
    say "-- $arch: checks our DLL fails --"
    for f in "$out/$arch-ours-"*.log "$out/$arch-icmp-"*.log "$out/$arch-stress-"*.log; do
        t=${f#$out/$arch-}; t=${t%.log}
        tr -d '\r' < "$f" | grep -E 'Test failed|Test succeeded inside todo|Tests skipped' | sed "s/^/  [$t] /"
    done
done

say ""
say "conformance (our DLL:$ran_archs): $ours_crashed test processes crashed or hung"
say "$ours_passed passed, $ours_failed failed, $ours_skipped skipped"
if [ "$ours_failed" != 0 ]; then
    say "logs: $out"
    trap - EXIT; cleanup
    exit 1
fi
trap - EXIT
cleanup
[ "${KEEP_LOGS:-0}" = 1 ] || rm -f "$out"/*.log
exit 0
