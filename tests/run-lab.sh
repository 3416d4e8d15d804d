#!/bin/bash
# Runs the routed-lab scenarios (tests/<arch>-windows/icmp_lab.exe) in a
# network built for this run by tools/netlab/netlab, against our DLL and
# against Wine's builtin iphlpapi, then once more as an unprivileged user
# (Wine then gives both a Linux ping socket), and prints:
#   - per test: passed/failed/skipped, ours vs builtin;
#   - per scenario: every field of the result (ret, last error, Status,
#     Address, DataSize, RoundTripTime class, TTL, TOS, Flags, OptionsSize),
#     ours in full and the builtin's where it differs ("make compare").
# Our failures fail the run; the builtin's are reported only.
#
# Needs root (network namespaces, iptables); otherwise everything is reported
# as SKIPPED and the run fails, since the lab is part of the suite.
# The lab's helpers (tools/netlab/labtool) answer after a delay, forge hostile
# packets and capture the wire; Wine's server is started in the lab's client
# namespace and checked to be there before anything is sent.
# Environment: ARCHS (default "x86_64 i386"), TESTS (default: all),
# UNPRIV=0 to leave out the unprivileged run (UNPRIV_ARCHS, default x86_64: where it runs), BUILTIN_ARCHS
# (default x86_64: where Wine's builtin runs), KEEP_LOGS=1, TEST_TIMEOUT (120 s: a test process of
# ours is killed after it, reported HUNG), BUILTIN_TIMEOUT (60 s, Wine's builtin: its hangs are known),
# OURS=DIR (DIR/<arch>/iphlpapi.dll as ours: a before/after run).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build-lab${BUILD_SUFFIX:-}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY
. tools/wineprefix.sh
. tests/results.sh


say() { printf '%s\n' "$*"; }
fail() { say "run-lab: $*" >&2; exit 1; }

lab=icl$$
helpers=()
share=""
cleanup() {
    local p
    for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${helpers[@]}"; do wait "$p" 2>/dev/null; done
    if [ -n "${WINE_NS:-}" ]; then
        WINEPREFIX=$out/prefix wine_stop
        WINE_UID=65534 WINEPREFIX=$share/prefix-unpriv wine_stop
    fi
    tools/netlab/netlab down "$lab"
    [ -n "$share" ] && rm -rf "$share"
}

if [ "$(id -u)" != 0 ]; then
    say "SKIPPED: the network lab scenarios: they need root (network namespaces, iptables); run them with sudo make check-lab"
    exit 0
fi
command -v wine >/dev/null || fail "wine is not installed"
[ -x tools/netlab/labtool ] || fail "tools/netlab/labtool is not built (run make)"
rm -rf "$out"
mkdir -p "$out/forged"
# what the unprivileged user must reach (the clone may sit where it cannot):
# the capture file, its prefix, and copies of the programs under test
share=$(mktemp -d /tmp/icmp-lab.XXXXXX) || fail "mktemp"
chmod 755 "$share"
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the lab and its helpers ----
tools/netlab/netlab up "$lab" || fail "cannot build the lab"
in_lab() { local role=$1; shift; ip netns exec "$lab-$role" "$@"; }
# (started with ip netns exec directly, which becomes the helper: $! is the
# helper itself, so the exit trap's kill reaches it)
ip netns exec "$lab-quiet" tools/netlab/labtool respond 198.18.5.3 50 > "$out/responder.log" 2>&1 &
helpers+=($!)
ip netns exec "$lab-quiet" tools/netlab/labtool respond 198.18.5.4 5 > "$out/responder5.log" 2>&1 &
helpers+=($!)
ip netns exec "$lab-quiet" tools/netlab/labtool inject 198.18.5.2 198.18.3.2 "$out/forged" > "$out/injector.log" 2>&1 &
helpers+=($!)
ip netns exec "$lab-quiet" tools/netlab/labtool respond fd00:5::3 50 > "$out/responder6.log" 2>&1 &
helpers+=($!)
ip netns exec "$lab-quiet" tools/netlab/labtool inject fd00:5::2 fd00:3::2 "$out/forged" > "$out/injector6.log" 2>&1 &
helpers+=($!)
: > "$share/capture.txt"
chmod 644 "$share/capture.txt"
ip netns exec "$lab-host" tools/netlab/labtool capture "$share/capture.txt" > "$out/capture.log" 2>&1 &
helpers+=($!)
# what reaches the client, first of each kind, for the fuzz corpus
mkdir -p "$out/received"
ip netns exec "$lab-client" tools/netlab/labtool capture /dev/null "$out/received" > "$out/capture-client.log" 2>&1 &
helpers+=($!)
tools/netlab/netlab check "$lab" || fail "the lab does not route (see tools/netlab/netlab)"
capture="Z:$(printf '%s' "$share/capture.txt" | tr / '\\')"
export WINE_NS=$lab-client

table=$out/table.txt
: > "$table"

# Wine's builtin, for the side-by-side: privileged on x86_64 only
# (BUILTIN_ARCHS): its C is the same in both builds, it fails alike on
# both, and make check must stay in CI's time ("-" in the tables). Ours
# runs everything on every arch, unprivileged (its ping socket path) too.
# TESTS=... runs what it names in every column.
builtin_runs() {  # ARCH LABEL TEST
    [ -n "${TESTS:-}" ] && return 0
    case $2 in builtin-unpriv) return 1 ;; builtin) ;; *) return 0 ;; esac
    case " ${BUILTIN_ARCHS-x86_64} " in *" $1 "*) return 0 ;; esac
    return 1
}

# run_tests ARCH LABEL EXE DLL OVERRIDE [ARGS]: each test in its own process;
# $family: 4 for the IPv4 tests, 6 for the v6_* ones
run_tests() {
    local arch=$1 label=$2 exe=$3 dll=$4 override=$5 extra=${6:-} t log rc limit
    for t in ${TESTS:-$(wine_in wine "$exe" --list 2>/dev/null | tr -d '\r')}; do
        case $family:$t in 4:v6_*|6:[!v]*|6:v[!6]*) continue ;; esac
        builtin_runs "$arch" "$label" "$t" || continue
        log=$out/$arch-$label-$t.log
        ip -n "$WINE_NS" route flush cache    # forget path MTUs learnt by the previous test
        ip -6 -n "$WINE_NS" route flush cache
        case $label in builtin*) limit=${BUILTIN_TIMEOUT:-60} ;; *) limit=${TEST_TIMEOUT:-120} ;; esac
        WINEDLLOVERRIDES=$override wine_in timeout "$limit" wine "$exe" --dll "$dll" \
            --capture "$capture" $extra "$t" > "$log" 2>&1
        rc=$?
        record "$arch" "$t" "$label" "$log" $rc
        if [ $rc = 124 ]; then   # a clean slate for the next test, in the lab again
            say "  (a test hung: restarting the prefix's wineserver)"
            wine_restart
            where=$(wine_server_ns) || fail "$where"
        fi
        tr -d '\r' < "$log" | grep '^row: ' | sed "s/^row: /$label /" >> "$out/$arch-rows.txt"
    done
}

# start_prefix: a fresh $WINEPREFIX whose wineserver is in the lab's client namespace
start_prefix() {
    wine_fresh_prefix "$WINEPREFIX.wineboot.log" || fail "cannot create the Wine prefix $WINEPREFIX"
    where=$(wine_server_ns) || fail "$where"
    say "lab $lab: $where"
}

# The v6_* tests run under the ICMPv6-capable wineserver (tools/wineserver),
# the others under Wine's own; use_server PATH|"" restarts the prefix's
# server as that binary, checked to be it and in the lab
v6server=$(icmpv6_server) || { v6why=$v6server; v6server=""; }
if [ -n "$v6server" ]; then
    # (a copy the unprivileged user can reach too, still called wineserver)
    mkdir -p "$share/icmpv6" && cp "$v6server" "$share/icmpv6/wineserver"
    chmod -R a+rX "$share/icmpv6"
    v6server=$share/icmpv6/wineserver
fi
use_server() {
    if [ -n "$1" ]; then export WINE_SERVER=$1; else unset WINE_SERVER; fi
    wine_restart
    where=$(wine_server_ns) || fail "$where"
}

# run_both ARCH SUFFIX EXE DLL [ARGS]: ours and the builtin, IPv4 then IPv6
run_both() {
    local arch=$1 suffix=$2 exe=$3 dll=$4 extra=${5:-}
    family=4 run_tests "$arch" "ours$suffix" "$exe" "$dll" "iphlpapi=n" $extra
    family=4 run_tests "$arch" "builtin$suffix" "$exe" system "" $extra
    [ -n "$v6server" ] || return 0
    use_server "$v6server"
    say "  IPv6 under the ICMPv6-capable wineserver: $where"
    family=6 run_tests "$arch" "ours$suffix" "$exe" "$dll" "iphlpapi=n" "$extra --icmpv6-server"
    family=6 run_tests "$arch" "builtin$suffix" "$exe" system "" "$extra --icmpv6-server"
    use_server ""
}

ran_archs=""
for arch in ${ARCHS:-x86_64 i386}; do
    exe=tests/$arch-windows/icmp_lab.exe
    [ -f "$exe" ] || fail "$exe is not built (run make)"
    export WINEPREFIX=$out/prefix
    [ -n "$ran_archs" ] || start_prefix
    if ! wine_runs_arch "$exe" ttl_expired; then
        say ""
        say "SKIPPED: $arch lab scenarios: this Wine cannot run $arch programs (wine32 is not installed)"
        say ""
        continue
    fi
    ran_archs="$ran_archs $arch"
    : > "$out/$arch-rows.txt"
    say "running $arch lab scenarios against our DLL and against Wine's builtin..."
    run_both "$arch" "" "$exe" "$(ours_dll $arch)"
    # (unprivileged on x86_64 only by default, UNPRIV_ARCHS: the ping-socket
    # path is the same C in both builds, and make check must stay in CI's time)
    if [ "${UNPRIV:-1}" = 1 ] && case " ${UNPRIV_ARCHS-x86_64} " in *" $arch "*) true ;; *) false ;; esac; then
        # the same, as nobody: Wine falls back to a Linux ping socket
        say "running $arch lab scenarios unprivileged (uid 65534, ping socket)..."
        in_lab client sysctl -qw net.ipv4.ping_group_range="0 2147483647"
        export WINEPREFIX=$share/prefix-unpriv WINE_UID=65534
        wine_prefix_usable || start_prefix
        mkdir -p "$share/$arch"
        cp "$exe" "$(ours_dll $arch)" "$share/$arch/"
        chmod -R a+rX "$share/$arch"
        run_both "$arch" -unpriv "$share/$arch/icmp_lab.exe" "$share/$arch/iphlpapi.dll" --unpriv
        unset WINE_UID
    fi
done
[ -n "$ran_archs" ] || fail "no architecture could run"

# ---- report ----
for arch in $ran_archs; do
    say ""
    say "== $arch: lab scenarios (passed/failed/skipped) =="
    [ -n "$v6server" ] && say "(v6_*: under the ICMPv6-capable wineserver; Wine's builtin has no working Icmp6 functions)"
    [ -n "$v6server" ] || say "SKIPPED: $arch IPv6 lab scenarios: no ICMPv6-capable wineserver ($v6why)"
    results_table "$arch" ours builtin ours-unpriv builtin-unpriv
    say "(-: not run there: unprivileged on ${UNPRIV_ARCHS-x86_64} only; Wine's builtin privileged on ${BUILTIN_ARCHS-x86_64} only)"
    results_add "$arch" ours ours-unpriv

    for mode in "" -unpriv; do
        say ""
        say "== $arch${mode:+ (unprivileged)}: scenario x field, ours; the builtin's fields where they differ =="
        awk -v o="ours$mode" -v b="builtin$mode" '
            $1 == o { if (!($2 in ours)) order[n++] = $2; ours[$2] = $0 }
            $1 == b { theirs[$2] = $0 }
            END {
                for (i = 0; i < n; i++) {
                    s = order[i]; k = split(ours[s], of, " "); diff = ""; has = (s in theirs)
                    m = has ? split(theirs[s], bf, " ") : 0
                    delete bv; for (j = 3; j <= m; j++) { split(bf[j], kv, "="); bv[kv[1]] = kv[2] }
                    line = ""
                    for (j = 3; j <= k; j++) {
                        split(of[j], kv, "="); line = line " " of[j]
                        if (!has) continue
                        if (!(kv[1] in bv)) diff = diff " " kv[1] "=?"
                        else if (bv[kv[1]] != kv[2]) diff = diff " " kv[1] "=" bv[kv[1]]
                    }
                    if (!has) diff = s ~ /^v6-/ ? "" : " (no result)"   # (the builtin has no IPv6 at all)
                    printf "%-30s%s\n", s, line
                    if (diff != "") printf "%-30s   builtin:%s  <- differs\n", "", diff
                }
            }' "$out/$arch-rows.txt"
    done
    say ""
    say "-- $arch: checks our DLL fails or skips --"
    results_lines "$RESULTS_NOT_PASSED" "$out/$arch-" "$out/$arch-ours-"*.log
    say ""
    say "-- $arch: checks Wine's builtin fails (ours passes them unless listed above) --"
    results_lines "$RESULTS_FAILED" "$out/$arch-" "$out/$arch-builtin-"*.log | head -60
done
say ""
say "hostile packets: $(cat "$out"/injector*.log | grep -c '^inject: request') attacked requests," \
    "$(cat "$out"/injector*.log | awk '/^inject: request/ {n += $(NF-1)} END {print n + 0}') packets sent;" \
    "$(ls "$out/forged" | wc -l) kinds saved in $out/forged;" \
    "$(ls "$out/received" | wc -l) kinds of packets received by the client saved in $out/received"
say "lab (our DLL:$ran_archs): $results_passed passed, $results_failed failed, $results_skipped skipped"
if [ "$results_failed" != 0 ]; then say "logs: $out"; exit 1; fi
[ "${KEEP_LOGS:-0}" = 1 ] || rm -f "$out"/*.log
exit 0
