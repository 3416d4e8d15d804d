#!/bin/bash
# make check: each suite's target in turn (make check-<suite>), its output
# shown and kept in build-check/<suite>.log, then one summary: per suite its
# last "N passed, N failed..." line(s) and how many SKIPPED lines it printed.
#   STRICT=1 (CI, .ci/run): any SKIPPED line fails the run: as root with
#            everything tools/install-deps.sh installs, nothing may be
#            skipped. Without it, a person without root still gets every
#            suite that can run, and the skips with their reasons.
# Stops at the first failing suite, as make would.
set -u
cd "$(dirname "$0")/.."
out=build-check
mkdir -p "$out"
suites="$*"
strict=${STRICT:-0}
rc=0
start=$(date +%s)
: > "$out/summary.txt"

for s in $suites; do
    t0=$(date +%s)
    make --no-print-directory "check-$s" 2>&1 | tee "$out/$s.log"
    status=${PIPESTATUS[0]}
    secs=$(( $(date +%s) - t0 ))
    skipped=$(grep -c 'SKIPPED' "$out/$s.log")
    totals=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out/$s.log" | grep -v '^  ' | tail -n 4 | tr '\n' ';' | sed 's/;$//; s/;/; /g')
    # (the fuzzers count runs: "fuzz: TARGET for N s" then libFuzzer's "Done N runs")
    [ -n "$totals" ] || totals=$(awk '/^fuzz: [a-z_]+ for/ { t = $2 } /^Done [0-9]+ runs/ && t { printf "%s%s: %s runs, nothing found", sep, t, $2; sep = "; "; t = "" }' "$out/$s.log")
    printf '%-12s %-6s %4ss  SKIPPED lines: %-3s %s\n' "$s" "$([ "$status" = 0 ] && echo ok || echo FAILED)" \
        "$secs" "$skipped" "$totals" >> "$out/summary.txt"
    if [ "$status" != 0 ]; then rc=1; break; fi
done

echo
echo "==== make check: $(( $(date +%s) - start )) s (logs: $out/<suite>.log) ===="
cat "$out/summary.txt"
if grep -h 'SKIPPED' $(for s in $suites; do [ -f "$out/$s.log" ] && echo "$out/$s.log"; done) > "$out/skipped.txt" 2>/dev/null &&
   [ -s "$out/skipped.txt" ]; then
    echo
    echo "skipped ($(wc -l < "$out/skipped.txt") lines):"
    sed 's/^/  /' "$out/skipped.txt" | sort | uniq -c | sort -rn | head -n 30
    if [ "$strict" = 1 ]; then
        echo "make check: FAILED: STRICT=1 and suites were skipped (a prerequisite is missing; see above)"
        rc=1
    fi
fi
[ $rc = 0 ] && echo "make check: all suites passed" || echo "make check: FAILED"
exit $rc
