# Sourced by the suite runners (tests/run-conformance.sh, tests/run-lab.sh;
# run-dropin.sh and run-wine10.sh for check alone): the one results table of
# a run, in the file $table, a line per test process:
#   arch test label passed failed todo skipped
#   arch test label crashed rc=N        (no summary line; rc=124: killed as hung)
# and the functions that fill it, print it side by side and add it up.

# check WHAT CMD...: one check of a runner's own, CMD must succeed; counted
# in checks_passed / checks_failed, a failure said as "$check_tag: FAILED: WHAT"
# and, with check_show=FILE (check_show=FILE check ...), FILE's last 40 lines
# after it, so that a CI log alone says what went wrong
checks_passed=0 checks_failed=0
check() {
    local what=$1; shift
    if "$@"; then checks_passed=$((checks_passed + 1))
    else
        checks_failed=$((checks_failed + 1)); echo "$check_tag: FAILED: $what"
        if [ -n "${check_show:-}" ] && [ -f "$check_show" ]; then
            echo "    (${check_show##*/}, its last 40 lines:)"
            tr -d '\r' < "$check_show" | tail -n 40 | sed 's/^/    | /'
        fi
    fi
}

# record ARCH TEST LABEL LOG RC: the table line of one test process
record() {
    local line
    line=$(tr -d '\r' < "$4" | grep "^summary: $2 " | tail -1)
    if [ -z "$line" ]; then
        printf '%s %s %s crashed rc=%s\n' "$1" "$2" "$3" "$5" >> "$table"
    else
        set -- "$1" "$2" "$3" $line
        printf '%s %s %s %s %s %s %s\n' "$1" "$2" "$3" "$6" "$7" "$8" "$9" >> "$table"
    fi
}

# results_cell ARCH TEST LABEL: passed/failed/skipped (and "+N todo" when
# known failures were marked todo), HUNG, CRASHED(rc=N) or -
results_cell() {
    awk -v a="$1" -v t="$2" -v l="$3" '$1 == a && $2 == t && $3 == l {
        if ($4 == "crashed") print ($5 == "rc=124" ? "HUNG" : "CRASHED(" $5 ")")
        else print $4 "/" $5 "/" $7 ($6 > 0 ? " +" $6 "todo" : ""); f = 1 }
        END { if (!f) print "-" }' "$table"
}

# results_table ARCH LABEL...: a row per test (in the order the first label
# ran them), a column per label; "<- differs" marks a row where a column's
# failures differ from the first column's (a crash counts as a failure)
results_table() {
    local arch=$1 t l row first cell fails mark
    shift
    printf '%-22s' test
    for l in "$@"; do printf ' %-16s' "$l"; done
    printf '\n'
    for t in $(awk -v a="$arch" -v l="$1" '$1 == a && $3 == l {print $2}' "$table"); do
        row=$(printf '%-22s' "$t")
        first="" mark=""
        for l in "$@"; do
            cell=$(results_cell "$arch" "$t" "$l")
            row="$row $(printf '%-16s' "$cell")"
            case $cell in */*/*) fails=${cell#*/}; fails=${fails%/*} ;; -) fails="" ;; *) fails=x ;; esac
            if [ -z "$first" ]; then first=$fails
            elif [ -n "$fails" ] && [ "$fails" != "$first" ]; then mark="<- differs"; fi
        done
        printf '%s %s\n' "$row" "$mark"
    done
}

# results_add ARCH LABEL...: adds those runs to results_passed,
# results_failed, results_skipped and results_crashed (a crash or hang also
# counts as one failure)
results_passed=0 results_failed=0 results_skipped=0 results_crashed=0
results_add() {
    local arch=$1 a t label p f todo sk l
    shift
    while read -r a t label p f todo sk; do
        [ "$a" = "$arch" ] || continue
        for l in "$@"; do
            [ "$label" = "$l" ] || continue
            if [ "$p" = crashed ]; then
                results_crashed=$((results_crashed + 1)); results_failed=$((results_failed + 1))
            else
                results_passed=$((results_passed + p)); results_failed=$((results_failed + f))
                results_skipped=$((results_skipped + sk))
            fi
        done
    done < "$table"
}

# results_lines PATTERN PREFIX LOG...: the lines of each log matching
# PATTERN, prefixed by [name] (the log's name without PREFIX and .log)
results_lines() {
    local pattern=$1 prefix=$2 f name
    shift 2
    for f in "$@"; do
        [ -f "$f" ] || continue
        name=${f#$prefix}; name=${name%.log}
        tr -d '\r' < "$f" | grep -E "$pattern" | sed "s/^/  [$name] /" | sort -u
    done
}
RESULTS_FAILED='Test failed|Test succeeded inside todo'
RESULTS_NOT_PASSED='Test failed|Test succeeded inside todo|Tests skipped'

# ours_dll ARCH: our DLL under test; OURS=DIR runs these suites against
# DIR/<arch>/iphlpapi.dll instead (an older build, for a before/after run)
ours_dll() {
    if [ -n "${OURS:-}" ]; then echo "$OURS/$1/iphlpapi.dll"; else echo "dlls/iphlpapi/$1-windows/iphlpapi.dll"; fi
}
