#!/bin/bash
# make bench: the benchmark scenarios (tools/bench/icmpbench.c) in the network
# lab (tools/netlab/netlab), against our DLL and Wine's builtin in the same
# run, with Linux's own ping (flood mode: the next echo as soon as the reply
# is in) and a native raw-socket loop (labtool ping) as the floor. Each
# scenario runs RUNS times (default 5), ours and the builtin alternating, each
# in its own process; medians are over runs, and the ratio ours/builtin is
# taken pairwise within each run, then its median. Prints a table and writes
# bench/results.json. Needs root (network namespaces).
# The IPv6 scenarios (seq6, burst6-1; the native floor is ping -6 -f) run
# after the others, under the ICMPv6-capable wineserver (tools/wineserver;
# SKIPPED, saying why, when it cannot be built).
# The i386 rows (SCENARIO.i386: seq, sweep-1000-apc, burst-1, burst-250) run
# the 32-bit icmpbench.exe against our i386 DLL and Wine's 32-bit builtin in
# the same 64-bit prefix (WoW64); SKIPPED, saying why, without wine32.
# Also counts wineserver requests per synchronous echo (WINEDEBUG=+server on a
# fresh server; with SCENARIOS set only if COUNT_SERVER=1).
# Environment: RUNS, SCENARIOS (default: all), COUNT_SERVER, BENCH_TIMEOUT
# (default 120 s), AGAINST (another build of our DLL in place of the builtin:
# an A/B of two versions in one run, e.g. AGAINST=../old/dlls/iphlpapi/
# x86_64-windows/iphlpapi.dll). bench/results.json is written only by a full
# run against the builtin; other runs write build-bench/results.json.
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
out=$top/build-bench
export WINEDEBUG=-all WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY
. tools/wineprefix.sh

say() { printf '%s\n' "$*"; }
fail() { say "run-bench: $*" >&2; exit 1; }

lab=icb$$
cleanup() {
    [ -n "${WINE_NS:-}" ] && wine_stop
    tools/netlab/netlab down "$lab"
}
[ "$(id -u)" = 0 ] || fail "the benchmark runs in the network lab and needs root"
exe=tools/bench/x86_64-windows/icmpbench.exe
[ -f "$exe" ] && [ -x tools/netlab/labtool ] || fail "not built (run make)"
command -v ping >/dev/null || fail "Linux ping is missing (tools/install-deps.sh installs iputils-ping)"
rm -rf "$out"
mkdir -p "$out" bench
trap cleanup EXIT
trap 'exit 130' INT TERM

tools/netlab/netlab up "$lab" || fail "cannot build the lab"
tools/netlab/netlab check "$lab" || fail "the lab does not route"
export WINE_NS=$lab-client WINEPREFIX=$out/prefix
wine_fresh_prefix "$out/wineboot.log" || fail "cannot create the Wine prefix"
where=$(wine_server_ns) || fail "$where"
say "lab $lab: $where"

runs=${RUNS:-5}
all="seq sweep-1000-apc sweep-1000-event sweep-10000-apc sweep-10000-event burst-1 burst-250 silent spread threads
     seq.i386 sweep-1000-apc.i386 burst-1.i386 burst-250.i386 seq6 burst6-1"
scenarios="" scenarios6=""
for s in ${SCENARIOS:-$all}; do
    case $s in *.i386) scenarios="$scenarios $s" ;; *6|*6-*) scenarios6="$scenarios6 $s" ;; *) scenarios="$scenarios $s" ;; esac
done
# the i386 rows need wine32 (WoW64 in this 64-bit prefix)
exe32=tools/bench/i386-windows/icmpbench.exe
case " $scenarios " in *.i386\ *)
    if [ ! -f "$exe32" ] || ! wine_in wine "$exe32" 2>/dev/null | tr -d '\r' | grep -q '^usage: icmpbench'; then
        say "SKIPPED: the i386 scenarios: this Wine cannot run 32-bit programs (wine32 is not installed; tools/install-wine32.sh)"
        scenarios=$(printf '%s\n' $scenarios | grep -v '\.i386$' | tr '\n' ' ')
    fi ;;
esac
# the IPv6 scenarios run under the ICMPv6-capable wineserver (tools/wineserver)
if [ -n "$scenarios6" ] && ! v6server=$(icmpv6_server); then
    say "SKIPPED: the IPv6 scenarios ($scenarios6 ): no ICMPv6-capable wineserver ($v6server)"
    scenarios6=""
fi
raw=$out/raw.txt
: > "$raw"
against=${AGAINST:-}
if [ -n "$against" ]; then
    [ -f "$against" ] || fail "AGAINST=$against: no such DLL"
    mkdir -p "$out/against" && cp "$against" "$out/against/iphlpapi.dll"
    say "A/B: the \"builtin\" column is $against"
fi
other_dll() {  # [ARCH]: sets dll and ov for the second column (AGAINST is an x86_64 DLL)
    if [ -n "$against" ] && [ "${1:-x86_64}" = x86_64 ]; then dll=build-bench/against/iphlpapi.dll ov=iphlpapi=n
    else dll=system ov=""; fi
}
results=bench/results.json col2=builtin
[ -n "$against" ] && col2=against
[ -n "${SCENARIOS:-}" ] || [ -n "$against" ] || [ "$runs" -lt 3 ] && results=$out/results.json
run_scenario() {  # RUN SCENARIO: ours and the second column, one process each
    local run=$1 s=$2 impl dll ov log res arch=x86_64 bexe=$exe
    case $s in *.i386) arch=i386 bexe=$exe32 ;; esac
    for impl in ours builtin; do
        if [ $impl = ours ]; then dll=dlls/iphlpapi/$arch-windows/iphlpapi.dll ov=iphlpapi=n; else other_dll "$arch"; fi
        # (to a file: Wine's helper processes keep an inherited pipe open)
        log=$out/$run-$impl-$s.log
        WINEDLLOVERRIDES=$ov wine_in timeout "${BENCH_TIMEOUT:-120}" wine "$bexe" --dll "$dll" "${s%.i386}" > "$log" 2>&1 </dev/null
        res=$(tr -d '\r' < "$log" | grep '^bench: ')
        if [ -z "$res" ]; then
            echo "$run $impl $s failed=1" >> "$raw"
        else
            res=${res#bench: }
            # (the program names the scenario without the .i386 of its row)
            echo "$run $impl $s ${res#* }" >> "$raw"
        fi
    done
}

for run in $(seq 1 "$runs"); do
    [ -n "$scenarios" ] || break
    say "run $run of $runs..."
    line=$(ip netns exec "$WINE_NS" tools/netlab/labtool ping 198.18.3.2 2000 | grep '^ping:')
    # "ping: N/N replies, median X us, p90 Y us"
    set -- $line
    echo "$run native seq median=${5} p90=${8}" >> "$raw"
    # ping -f: "rtt min/avg/max/mdev = a/b/c/d ms, ipg/ewma g/e ms"
    line=$(ip netns exec "$WINE_NS" ping -f -q -c 2000 198.18.3.2 | grep '^rtt')
    echo "$run native ping-flood per_echo=$(echo "$line" | awk -F'[ /]+' '{ for (i = 1; i <= NF; i++) if ($i == "ipg") print $(i + 2) * 1000 }')" \
         "rtt_avg=$(echo "$line" | awk -F'[ /]+' '{ print $8 * 1000 }')" >> "$raw"
    for s in $scenarios; do run_scenario "$run" "$s"; done
done

# ---- IPv6, under the ICMPv6-capable wineserver ----
if [ -n "$scenarios6" ]; then
    export WINE_SERVER=$v6server
    wine_restart
    where=$(wine_server_ns) || fail "$where"
    say "IPv6 scenarios under the ICMPv6-capable wineserver: $where"
    for run in $(seq 1 "$runs"); do
        say "IPv6 run $run of $runs..."
        line=$(ip netns exec "$WINE_NS" ping -6 -f -q -c 2000 fd00:3::2 | grep '^rtt')
        echo "$run native ping6-flood per_echo=$(echo "$line" | awk -F'[ /]+' '{ for (i = 1; i <= NF; i++) if ($i == "ipg") print $(i + 2) * 1000 }')" \
             "rtt_avg=$(echo "$line" | awk -F'[ /]+' '{ print $8 * 1000 }')" >> "$raw"
        for s in $scenarios6; do run_scenario "$run" "$s"; done
    done
    unset WINE_SERVER
    wine_restart
fi

# ---- wineserver requests per synchronous echo ----
# A fresh wineserver's own +server log (every process of the session,
# Wine's services included: the builtin's work is in winedevice.exe) for
# count-200 and count-1200; per echo = the difference / 1000.
server_requests() {  # impl N: request lines (not the ") = " replies) of a fresh session
    local impl=$1 n=$2 dll=dlls/iphlpapi/x86_64-windows/iphlpapi.dll ov=iphlpapi=n log=$out/server-$1-$2.log
    [ "$impl" = builtin ] && other_dll
    wine_stop
    wine_in wineserver -p 2> "$log"
    where=$(wine_server_ns) || fail "$where"
    WINEDEBUG=+server WINEDLLOVERRIDES=$ov wine_in timeout "${BENCH_TIMEOUT:-120}" wine "$exe" --dll "$dll" "count-$n" \
        > "$log.out" 2>&1 </dev/null
    wine_stop
    grep -aE '^[0-9a-f]+: [a-z_]+\(' "$log" | grep -avc ') = '
}
if [ -z "${SCENARIOS:-}" ] || [ "${COUNT_SERVER:-0}" = 1 ]; then
    say "counting wineserver requests per echo (WINEDEBUG=+server)..."
    for impl in ours builtin; do
        small=$(server_requests "$impl" 200) large=$(server_requests "$impl" 1200)
        echo "1 $impl server-requests per_echo=$(awk -v a="$small" -v b="$large" 'BEGIN { printf "%.2f", (b - a) / 1000 }')" \
            >> "$raw"
    done
    wine_in wineserver -p >/dev/null 2>&1 </dev/null
fi

# ---- statistics: median and p90 over runs per (scenario, impl, key); ratio pairwise ----
stats=$out/stats.txt
awk '
    { run = $1; impl = $2; s = $3
      for (i = 4; i <= NF; i++) { split($i, kv, "="); v[s, kv[1], impl, run] = kv[2]; keys[s, kv[1]] = 1
                                  if (!((s, kv[1]) in order)) { order[s, kv[1]] = ++n; name[n] = s SUBSEP kv[1] } } 
      runs[run] = 1 }
    function sortv(a, m,   i, j, t) { for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
    function q(a, m, p) { return m ? a[int(p * (m - 1) + 0.5) + 1] : "-" }
    END {
        for (k = 1; k <= n; k++) {
            split(name[k], sk, SUBSEP); s = sk[1]; key = sk[2]
            for (ii = 0; ii < 3; ii++) {
                impl = ii == 0 ? "ours" : ii == 1 ? "builtin" : "native"
                m = 0; delete a
                for (r in runs) if ((s, key, impl, r) in v) a[++m] = v[s, key, impl, r] + 0
                sortv(a, m)
                med[impl] = q(a, m, 0.5); p90[impl] = q(a, m, 0.9); cnt[impl] = m
            }
            m = 0; delete a
            for (r in runs) if ((s, key, "ours", r) in v && (s, key, "builtin", r) in v && v[s, key, "builtin", r] + 0 != 0)
                a[++m] = (v[s, key, "ours", r] + 0) / (v[s, key, "builtin", r] + 0)
            sortv(a, m)
            ratio = m ? sprintf("%.3f", q(a, m, 0.5)) : "-"
            printf "%s %s %s %s %s %s %s %s %s\n", s, key, med["ours"], p90["ours"], med["builtin"], p90["builtin"],
                   med["native"], p90["native"], ratio
        }
    }' "$raw" > "$stats"

say ""
say "== benchmark: medians over $runs runs (p90 in brackets); ratio = median of per-run ours/$col2 =="
printf '%-18s %-20s %-22s %-22s %-14s %s\n' scenario metric ours "$col2" native ratio
while read -r s key om op bm bp nm np ratio; do
    case $key in per_echo|rtt_avg|ok|requests|accepted|median|p90|per_request|completed|replies|timed_out|last_end_ms|end_min_ms|end_max_ms|\
                 end_median_ms|threads_peak|threads_before|private_per_request|per_second|echoes|total_ms|failed|\
                 drops|unsupported) ;; *) continue ;; esac
    native="-"
    [ "$nm" != "-" ] && native="$nm [$np]"
    printf '%-18s %-20s %-22s %-22s %-14s %s\n' "$s" "$key" "$om [$op]" "$bm [$bp]" "$native" "$ratio"
done < "$stats"

# ---- bench/results.json ----
{
    printf '{\n  "date": "%s",\n  "machine": "%s, %s cores, %s",\n  "runs": %s,\n' \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(uname -sr)" "$(nproc)" "$(wine --version 2>/dev/null)" "$runs"
    [ -n "$against" ] && printf '  "builtin_is": "%s",\n' "$against"
    printf '  "results": [\n'
    first=1
    while read -r s key om op bm bp nm np ratio; do
        for impl in ours builtin native; do
            case $impl in ours) m=$om p=$op r=$ratio ;; builtin) m=$bm p=$bp r="" ;; native) m=$nm p=$np r="" ;; esac
            [ "$m" = "-" ] && continue
            [ $first = 1 ] || printf ',\n'
            first=0
            printf '    {"scenario": "%s", "metric": "%s", "implementation": "%s", "median": %s, "p90": %s' "$s" "$key" "$impl" "$m" "$p"
            [ -n "$r" ] && [ "$r" != "-" ] && printf ', "ratio_ours_builtin": %s' "$r"
            printf '}'
        done
    done < "$stats"
    printf '\n  ]\n}\n'
} > "$results"
say ""
say "raw results: $raw; written $results"
