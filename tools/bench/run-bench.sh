#!/bin/bash
# make bench: the benchmark scenarios (tools/bench/icmpbench.c) in the network
# lab (tools/netlab/netlab), in two regimes, in one run:
#   idle   nothing else runs (this VM's idle cores wake slowly: every
#          wineserver round trip waits for one);
#   busy   one CPU-bound process per core but one (as a game would be),
#          started and stopped by this script;
#   pinned the processes and their wineserver pinned to one CPU (taskset -c 0);
#   quota  the processes and their wineserver in a cgroup of this script's
#          with a CPU quota of one CPU (cgroup v1 cpu.cfs_quota_us or v2
#          cpu.max), as a container limited to one CPU would be.
# (pinned and quota run the synchronous scenarios only: the regime guess
# must never make a process limited to one CPU slower than the floor.)
# Columns, each in its own process, alternating within each run:
#   ours     our DLL;
#   builtin  Wine's builtin iphlpapi;
#   against  AGAINST=<another iphlpapi.dll> (an A/B of two versions of ours);
#   floor    the Winsock floor of the synchronous scenarios: one thread, a
#            bare raw socket, sendto then a blocking recv, under Wine;
#   native   Linux's own ping -f and a native raw-socket loop (labtool ping).
# Each scenario runs RUNS times (default 5); medians and p90 are over runs;
# a ratio (ours/builtin, ours/floor, ours/against) is taken within each run,
# then its median, since the machine is noisy. Also counted, per regime, from
# a fresh wineserver's +server log (request lines, every process of the
# session: the builtin's work is in winedevice.exe): wineserver requests per
# synchronous echo (count-1200 minus count-200, / 1000) and per Event and per
# APC request of a sweep (sweep-1200 minus sweep-200, the caller's own event
# creation and wait included). The multi-process rows (MULTI, default
# "1 2 4 8" processes; idle regime, MULTI_RUNS runs, default 1) start that
# many processes together, each a burst of 10,000 requests (APC or Event, to
# one host or to 250), and read the kernel's drops at the namespace's raw
# sockets while every process's socket is still open.
# The i386 rows (SCENARIO.i386) run the 32-bit icmpbench.exe (WoW64 in the
# same prefix; SKIPPED, saying why, without wine32); the IPv6 ones (seq6,
# burst6-1) run after the others under the ICMPv6-capable wineserver
# (tools/wineserver; SKIPPED, saying why, when it cannot be built).
# Prints a table and writes bench/results.json (only a full run of every
# scenario against the builtin; other runs write build-bench/results.json).
# Environment: RUNS, SCENARIOS (default: all), REGIMES ("idle busy pinned quota"), AGAINST,
# MULTI, MULTI_RUNS, COUNT_SERVER (1: count even when SCENARIOS is set),
# BENCH_TIMEOUT (default 180 s). Needs root (network namespaces).
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
hogs=()
cleanup() {
    busy_stop
    [ -n "${WINE_NS:-}" ] && wine_stop
    [ -n "$quota_mount" ] && umount "$quota_mount"
    [ -n "$quota_cg" ] && rmdir "$quota_cg" 2>/dev/null
    tools/netlab/netlab down "$lab"
}
quota_cg="" quota_mount="" quota_procs=""
[ "$(id -u)" = 0 ] || fail "the benchmark runs in the network lab and needs root"
exe=tools/bench/x86_64-windows/icmpbench.exe
exe32=tools/bench/i386-windows/icmpbench.exe
[ -f "$exe" ] && [ -x tools/netlab/labtool ] || fail "not built (run make)"
command -v ping >/dev/null || fail "Linux ping is missing (tools/install-deps.sh installs iputils-ping)"
# (a run killed before its cleanup may have left the cgroup mount: never
# remove anything through it)
mountpoint -q "$out/cgroup" 2>/dev/null && umount "$out/cgroup"
rm -rf --one-file-system "$out"
mkdir -p "$out" bench
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the regimes ----
busy_start() {  # one CPU-bound process per core but one (at least one)
    local n i
    n=$(( $(nproc) - 1 ))
    [ "$n" -ge 1 ] || n=1
    for i in $(seq 1 "$n"); do
        sh -c 'while :; do :; done' &
        hogs+=($!)
    done
    sleep 0.5
}
busy_stop() {
    local p
    for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${hogs[@]}"; do wait "$p" 2>/dev/null; done
    hogs=()
}

# quota_setup: a cgroup of ours whose CPU quota is one CPU (v1 or v2);
# its hierarchy is also bind-mounted at $out/cgroup, where the lab's
# processes can reach it (ip netns exec mounts a sysfs of its own, without
# /sys/fs/cgroup's mounts): quota_procs is its cgroup.procs from there
quota_setup() {
    local root
    if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
        root=/sys/fs/cgroup/cpu
        quota_cg=$root/icmp-bench-$$
        mkdir -p "$quota_cg" && echo 100000 > "$quota_cg/cpu.cfs_period_us" && echo 100000 > "$quota_cg/cpu.cfs_quota_us" ||
            return 1
    elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
        root=/sys/fs/cgroup
        echo +cpu > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
        quota_cg=$root/icmp-bench-$$
        mkdir -p "$quota_cg" && echo "100000 100000" > "$quota_cg/cpu.max" || return 1
    else
        return 1
    fi
    mkdir -p "$out/cgroup" && mount --bind "$root" "$out/cgroup" || return 1
    quota_mount=$out/cgroup
    quota_procs=$out/cgroup/icmp-bench-$$/cgroup.procs
    [ -f "$quota_procs" ] || return 1
}
# regime_wrap: the command prefix that puts a process in the regime
regime_wrap=()
set_regime() {
    case $1 in
        pinned) regime_wrap=(taskset -c 0) ;;
        quota)  regime_wrap=(sh -c 'echo $$ > "$0" && exec "$@"' "$quota_procs") ;;
        *)      regime_wrap=() ;;
    esac
    # (the wineserver too: restarted in the regime)
    wine_stop
    wine_in "${regime_wrap[@]}" "${WINE_SERVER:-wineserver}" -p >/dev/null 2>&1 </dev/null
    where=$(wine_server_ns) || fail "$where"
}

tools/netlab/netlab up "$lab" || fail "cannot build the lab"
tools/netlab/netlab check "$lab" || fail "the lab does not route"
export WINE_NS=$lab-client WINEPREFIX=$out/prefix
wine_fresh_prefix "$out/wineboot.log" || fail "cannot create the Wine prefix"
where=$(wine_server_ns) || fail "$where"
say "lab $lab: $where"

runs=${RUNS:-5}
regimes=${REGIMES:-idle busy pinned quota}
case " $regimes " in *" quota "*)
    quota_setup || { say "SKIPPED: the quota regime: no cgroup CPU controller to make a cgroup with (v1 /sys/fs/cgroup/cpu, v2 cpu in cgroup.controllers)"
                     regimes=$(echo " $regimes " | sed 's/ quota / /'); } ;;
esac
limited_regime() { case $1 in pinned|quota) return 0 ;; esac; return 1; }
all="seq first sweep-1000-apc sweep-1000-event sweep-10000-apc sweep-10000-event burst-1 burst-250 silent spread threads
     seq.i386 first.i386 sweep-1000-apc.i386 burst-1.i386 burst-250.i386 seq6 burst6-1"
scenarios="" scenarios6=""
for s in ${SCENARIOS:-$all}; do
    case $s in multi*) ;; *.i386) scenarios="$scenarios $s" ;; *6|*6-*) scenarios6="$scenarios6 $s" ;; *) scenarios="$scenarios $s" ;; esac
done
multi=${MULTI-1 2 4 8}
[ -n "${SCENARIOS:-}" ] && { case " $SCENARIOS " in *" multi "*) ;; *) multi="" ;; esac; }
case " $scenarios " in *.i386\ *)
    if [ ! -f "$exe32" ] || ! wine_in wine "$exe32" 2>/dev/null | tr -d '\r' | grep -q '^usage: icmpbench'; then
        say "SKIPPED: the i386 scenarios: this Wine cannot run 32-bit programs (wine32 is not installed; tools/install-wine32.sh)"
        scenarios=$(printf '%s\n' $scenarios | grep -v '\.i386$' | tr '\n' ' ')
    fi ;;
esac
if [ -n "$scenarios6" ] && ! v6server=$(icmpv6_server); then
    say "SKIPPED: the IPv6 scenarios ($scenarios6 ): no ICMPv6-capable wineserver ($v6server)"
    scenarios6=""
fi
raw=$out/raw.txt
: > "$raw"
against=${AGAINST:-}
impls="ours builtin"
if [ -n "$against" ]; then
    [ -f "$against" ] || fail "AGAINST=$against: no such DLL"
    mkdir -p "$out/against" && cp "$against" "$out/against/iphlpapi.dll"
    impls="ours builtin against"
    say "A/B: the \"against\" column is $against"
fi

# dll_for IMPL ARCH: sets dll and ov (the override) for a column
dll_for() {
    case $1 in
        ours)    dll=dlls/iphlpapi/$2-windows/iphlpapi.dll ov=iphlpapi=n ;;
        against) dll=build-bench/against/iphlpapi.dll ov=iphlpapi=n ;;   # (an x86_64 DLL)
        floor)   dll=floor ov="" ;;
        *)       dll=system ov="" ;;
    esac
}
sync_scenario() { case ${1%.i386} in seq|seq6) return 0 ;; esac; return 1; }

# bench_run LOG ARCH IMPL ARGS...: one icmpbench process; its "bench:" line, without the tag
bench_run() {
    local log=$1 arch=$2 impl=$3 bexe=$exe dll ov
    shift 3
    [ "$arch" = i386 ] && bexe=$exe32
    dll_for "$impl" "$arch"
    # (to a file: Wine's helper processes keep an inherited pipe open)
    WINEDLLOVERRIDES=$ov wine_in timeout "${BENCH_TIMEOUT:-180}" "${regime_wrap[@]}" wine "$bexe" --dll "$dll" "$@" \
        > "$log" 2>&1 </dev/null
    tr -d '\r' < "$log" | grep '^bench: ' | head -1 | sed 's/^bench: [^ ]* //'
}

run_scenario() {  # RUN REGIME SCENARIO: every column, one process each
    local run=$1 regime=$2 s=$3 impl arch=x86_64 res list=$impls
    case $s in *.i386) arch=i386 ;; esac
    sync_scenario "$s" && list="$list floor"
    for impl in $list; do
        [ "$impl" = against ] && [ "$arch" = i386 ] && continue
        res=$(bench_run "$out/$run-$regime-$impl-$s.log" "$arch" "$impl" "${s%.i386}")
        echo "$run $impl $s@$regime ${res:-failed=1}" >> "$raw"
    done
}

native_floor() {  # RUN REGIME: Linux's own
    local run=$1 regime=$2 line
    line=$(ip netns exec "$WINE_NS" tools/netlab/labtool ping 198.18.3.2 2000 | grep '^ping:')
    # "ping: N/N replies, median X us, p90 Y us"
    set -- $line
    echo "$run native seq@$regime median=${5} p90=${8}" >> "$raw"
    line=$(ip netns exec "$WINE_NS" ping -f -q -c 2000 198.18.3.2 | grep '^rtt')
    echo "$run native ping-flood@$regime per_echo=$(echo "$line" | awk -F'[ /]+' '{ for (i = 1; i <= NF; i++) if ($i == "ipg") print $(i + 2) * 1000 }')" \
         "rtt_avg=$(echo "$line" | awk -F'[ /]+' '{ print $8 * 1000 }')" >> "$raw"
}

for run in $(seq 1 "$runs"); do
    [ -n "$scenarios" ] || break
    for regime in $regimes; do
        say "run $run of $runs, $regime..."
        [ "$regime" = busy ] && busy_start
        limited_regime "$regime" && set_regime "$regime"
        limited_regime "$regime" || native_floor "$run" "$regime"
        for s in $scenarios; do
            limited_regime "$regime" && ! sync_scenario "$s" && continue
            run_scenario "$run" "$regime" "$s"
        done
        limited_regime "$regime" && set_regime idle
        busy_stop
    done
done

# ---- several processes at once ----
# run_multi RUN N SCENARIO IMPL: N processes together; when all have sent
# their burst, the drops summed over the namespace's raw sockets
run_multi() {
    local run=$1 n=$2 s=$3 impl=$4 i t pids=() dir=$out/multi-$run-$2-$3-$4 drops answered dll ov
    mkdir -p "$dir"
    dll_for "$impl" x86_64
    for i in $(seq 1 "$n"); do
        WINEDLLOVERRIDES=$ov wine_in timeout "${BENCH_TIMEOUT:-180}" wine "$exe" --dll "$dll" --signal "Z:$dir/done-$i" \
            --wait "Z:$dir/release" "$s" > "$dir/log-$i" 2>&1 </dev/null &
        pids+=($!)
    done
    for t in $(seq 1 1800); do [ "$(ls "$dir"/done-* 2>/dev/null | wc -l)" -ge "$n" ] && break; sleep 0.1; done
    drops=$(ip netns exec "$WINE_NS" awk 'NR > 1 { s += $NF } END { print s + 0 }' /proc/net/raw)
    touch "$dir/release"
    wait "${pids[@]}"
    answered=$(for i in $(seq 1 "$n"); do tr -d '\r' < "$dir/log-$i" | grep '^bench:' | sed -n 's/.*replies=\([0-9]*\).*/\1/p'; done |
               sort -n | tr '\n' ' ')
    set -- $answered
    echo "$run $impl multi-$n-${s#multi-}@idle answered_min=${1:--1} answered_all=$(echo "$answered" | tr ' ' '/' | sed 's,/$,,')" \
         "lost=$(echo "$answered" | awk -v n="$n" '{ for (i = 1; i <= NF; i++) s += $i } END { print n * 10000 - s }')" \
         "drops=$drops" >> "$raw"
}
if [ -n "$multi" ]; then
    for run in $(seq 1 "${MULTI_RUNS:-1}"); do
        for n in $multi; do
            for s in multi-apc-1 multi-apc-250 multi-event-1 multi-event-250; do
                say "multi-process run $run: $n x $s..."
                for impl in $impls; do run_multi "$run" "$n" "$s" "$impl"; done
            done
        done
    done
fi

# ---- IPv6, under the ICMPv6-capable wineserver ----
if [ -n "$scenarios6" ]; then
    export WINE_SERVER=$v6server
    wine_restart
    where=$(wine_server_ns) || fail "$where"
    say "IPv6 scenarios under the ICMPv6-capable wineserver: $where"
    for run in $(seq 1 "$runs"); do
        for regime in $regimes; do
            limited_regime "$regime" && continue
            say "IPv6 run $run of $runs, $regime..."
            [ "$regime" = busy ] && busy_start
            line=$(ip netns exec "$WINE_NS" ping -6 -f -q -c 2000 fd00:3::2 | grep '^rtt')
            echo "$run native ping6-flood@$regime per_echo=$(echo "$line" | awk -F'[ /]+' '{ for (i = 1; i <= NF; i++) if ($i == "ipg") print $(i + 2) * 1000 }')" \
                 "rtt_avg=$(echo "$line" | awk -F'[ /]+' '{ print $8 * 1000 }')" >> "$raw"
            for s in $scenarios6; do run_scenario "$run" "$regime" "$s"; done
            busy_stop
        done
    done
    unset WINE_SERVER
    wine_restart
fi

# ---- wineserver requests per echo / request ----
# server_requests IMPL SCENARIO: request lines (not the ") = " replies) of a fresh session
server_requests() {
    local impl=$1 s=$2 log=$out/server-$1-$2-$regime.log dll ov
    dll_for "$impl" x86_64
    wine_stop
    wine_in wineserver -p 2> "$log"
    where=$(wine_server_ns) || fail "$where"
    WINEDEBUG=+server WINEDLLOVERRIDES=$ov wine_in timeout "${BENCH_TIMEOUT:-180}" wine "$exe" --dll "$dll" "$s" \
        > "$log.out" 2>&1 </dev/null
    wine_stop
    grep -aE '^[0-9a-f]+: [a-z_]+\(' "$log" | grep -avc ') = '
}
count_pair() {  # IMPL KIND SMALL LARGE: per echo / request
    local small large
    small=$(server_requests "$1" "$3") large=$(server_requests "$1" "$4")
    echo "1 $1 server-$2@$regime per_request=$(awk -v a="$small" -v b="$large" 'BEGIN { printf "%.2f", (b - a) / 1000 }')" >> "$raw"
}
if [ -z "${SCENARIOS:-}" ] || [ "${COUNT_SERVER:-0}" = 1 ]; then
    for regime in $regimes; do
        limited_regime "$regime" && continue
        say "counting wineserver requests, $regime (WINEDEBUG=+server)..."
        [ "$regime" = busy ] && busy_start
        for impl in $impls floor; do
            count_pair "$impl" sync count-200 count-1200
            [ "$impl" = floor ] && continue
            count_pair "$impl" event sweep-200-event sweep-1200-event
            count_pair "$impl" apc sweep-200-apc sweep-1200-apc
        done
        busy_stop
    done
    wine_in wineserver -p >/dev/null 2>&1 </dev/null
fi

# ---- statistics: median and p90 over runs per (row, key, column); ratios pairwise ----
columns="ours builtin against floor native"
stats=$out/stats.txt
awk -v columns="$columns" '
    { run = $1; impl = $2; s = $3
      for (i = 4; i <= NF; i++) { split($i, kv, "="); v[s, kv[1], impl, run] = kv[2]
                                  if (!((s, kv[1]) in order)) { order[s, kv[1]] = ++n; name[n] = s SUBSEP kv[1] } }
      runs[run] = 1 }
    function sortv(a, m,   i, j, t) { for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
    function q(a, m, p) { return m ? a[int(p * (m - 1) + 0.5) + 1] : "-" }
    function ratio(s, key, other,   m, r) {
        m = 0; delete a
        for (r in runs) if ((s, key, "ours", r) in v && (s, key, other, r) in v && v[s, key, other, r] + 0 != 0)
            a[++m] = (v[s, key, "ours", r] + 0) / (v[s, key, other, r] + 0)
        sortv(a, m)
        return m ? sprintf("%.3f", q(a, m, 0.5)) : "-"
    }
    END {
        nc = split(columns, col, " ")
        for (k = 1; k <= n; k++) {
            split(name[k], sk, SUBSEP); s = sk[1]; key = sk[2]
            line = s " " key
            for (c = 1; c <= nc; c++) {
                m = 0; delete a
                for (r in runs) if ((s, key, col[c], r) in v) a[++m] = v[s, key, col[c], r]
                if (m && a[1] !~ /^-?[0-9.]+$/) { line = line " " a[1] " -"; continue }   # (text: the first)
                for (i = 1; i <= m; i++) a[i] += 0
                sortv(a, m)
                line = line " " q(a, m, 0.5) " " q(a, m, 0.9)
            }
            line = line " " ratio(s, key, "builtin") " " ratio(s, key, "floor") " " ratio(s, key, "against")
            print line
        }
    }' "$raw" > "$stats"

show() { [ "$1" = "-" ] && printf '%s' "-" || printf '%s [%s]' "$1" "$2"; }
say ""
say "== benchmark: medians over $runs runs (p90 in brackets); ratios: medians of per-run ours/other =="
printf '%-26s %-18s %-18s %-18s %-18s %-16s %-12s %-9s %-9s %s\n' scenario@regime metric ours builtin against floor native \
    /builtin /floor /against
while read -r s key om op bm bp am ap fm fp nm np rb rf ra; do
    case $key in per_echo|rtt_avg|ok|median|p90|first_us|second_us|per_request|completed|replies|timed_out|last_end_ms|end_min_ms|\
                 end_max_ms|end_median_ms|threads_peak|private_per_request|per_second|total_ms|failed|drops|unsupported|\
                 answered_min|answered_all|lost) ;; *) continue ;; esac
    printf '%-26s %-18s %-18s %-18s %-18s %-18s %-16s %-12s %-9s %-9s %s\n' "$s" "$key" "$(show "$om" "$op")" \
        "$(show "$bm" "$bp")" "$(show "$am" "$ap")" "$(show "$fm" "$fp")" "$(show "$nm" "$np")" "$rb" "$rf" "$ra"
done < "$stats"

# ---- results.json ----
results=bench/results.json
[ -n "${SCENARIOS:-}" ] || [ -n "$against" ] || [ "$runs" -lt 3 ] && results=$out/results.json
{
    printf '{\n  "date": "%s",\n  "machine": "%s, %s cores, %s",\n  "runs": %s,\n' \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(uname -sr)" "$(nproc)" "$(wine --version 2>/dev/null)" "$runs"
    [ -n "$against" ] && printf '  "against": "%s",\n' "$against"
    printf '  "results": [\n'
    first=1
    while read -r s key om op bm bp am ap fm fp nm np rb rf ra; do
        for impl in ours builtin against floor native; do
            case $impl in ours) m=$om p=$op ;; builtin) m=$bm p=$bp ;; against) m=$am p=$ap ;; floor) m=$fm p=$fp ;;
                          native) m=$nm p=$np ;; esac
            [ "$m" = "-" ] && continue
            case $m in *[!0-9.-]*) m="\"$m\"" p=null ;; esac
            [ $first = 1 ] || printf ',\n'
            first=0
            printf '    {"scenario": "%s", "regime": "%s", "metric": "%s", "implementation": "%s", "median": %s, "p90": %s' \
                "${s%@*}" "${s#*@}" "$key" "$impl" "$m" "$p"
            if [ "$impl" = ours ]; then
                [ "$rb" != "-" ] && printf ', "ratio_builtin": %s' "$rb"
                [ "$rf" != "-" ] && printf ', "ratio_floor": %s' "$rf"
                [ "$ra" != "-" ] && printf ', "ratio_against": %s' "$ra"
            fi
            printf '}'
        done
    done < "$stats"
    printf '\n  ]\n}\n'
} > "$results"
say ""
say "raw results: $raw; written $results"
