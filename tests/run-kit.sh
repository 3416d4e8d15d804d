#!/bin/bash
# Runs the Windows kit (`make windows-kit`) under Wine as a person with
# Windows would run it: unpacks the zip, `wine cmd /c run.cmd` in a fresh
# prefix (as root in a private network namespace; loopback only), then puts
# its results files side by side with tools/compare-results, per
# architecture: ours vs Wine's builtin. Text on stdout, HTML in
# build-kit/compare-<arch>.html.
#   tests/run-kit.sh            make compare: show the comparison
#   tests/run-kit.sh --assert   make check-dist: the rows whose outcomes
#                               differ must be exactly those known for this
#                               Wine version (tests/known-differences*.txt)
# Tests in which the builtin hung, or in which one of its checks marked flaky
# failed this time, are listed and left out of the assertion.
# The known differences are those with raw sockets (root, or wineserver with
# CAP_NET_RAW); without them it is SKIPPED, saying why.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build-kit${BUILD_SUFFIX:-}
export WINEPREFIX=$out/prefix
export WINEDEBUG=-all
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY WINEDLLOVERRIDES
. tools/wineprefix.sh
assert=0
[ "${1:-}" = --assert ] && assert=1
# the builtin changes between Wine versions: the known differences are
# tests/known-differences-wine<major>.txt, or tests/known-differences.txt
# when its "# Wine versions:" line names this one
wine_major=$(wine --version 2>/dev/null | sed -n 's/^wine-\([0-9]*\).*/\1/p')
known=$top/tests/known-differences-wine$wine_major.txt
[ -f "$known" ] || known=$top/tests/known-differences.txt
grep -q "^# Wine versions:.* $wine_major\( \|\$\)" "$known" || [ "$known" != "$top/tests/known-differences.txt" ] ||
    known=""

say() { printf '%s\n' "$*"; }
fail() { say "run-kit: $*" >&2; exit 1; }

if ! icmp_raw_sockets; then
    why=$(icmp_sockets_usable)   # (empty when ping sockets are allowed)
    [ -n "$why" ] || why="Wine opens no raw ICMP socket for this user (not root, no CAP_NET_RAW on wineserver)"
    say "SKIPPED: the Windows kit under Wine (run.cmd, ours vs builtin): $why; run it as root: sudo make compare"
    exit 0
fi
[ $assert = 0 ] || [ -n "$known" ] ||
    fail "no known differences for $(wine --version): run tests/run-kit.sh, review $out/differences.txt, and add $wine_major to tests/known-differences.txt's \"# Wine versions:\" line if they are the same, else save them as tests/known-differences-wine$wine_major.txt"
zip=$(ls build-dist/icmp-echo-windows-*.zip 2>/dev/null | tail -n 1)
[ -n "$zip" ] && [ -f "$zip" ] || fail "no Windows kit in build-dist/ (make windows-kit)"
rm -rf "$out"
mkdir -p "$out/kit"
python3 -m zipfile -e "$zip" "$out/kit" || fail "cannot unpack $zip"
kit=$(ls -d "$out"/kit/icmp-echo-windows-*/ | head -n 1)
[ -f "$kit/run.cmd" ] || fail "$zip has no run.cmd"
trap wine_cleanup EXIT
trap 'exit 130' INT TERM
wine_private_ns icmpkit || true
wine_fresh_prefix "$out/wineboot.log" || fail "cannot create the Wine prefix (see $out/wineboot.log)"
if [ -n "${WINE_NS:-}" ]; then where=$(wine_server_ns) || fail "$where"; fi

say "running $(basename "$zip")'s run.cmd under Wine (wine cmd /c run.cmd)..."
(cd "$kit" && wine_in timeout 1200 wine cmd /c run.cmd) > "$out/run.txt" 2>&1
rc=$?
grep -v '^wine: Unhandled\|^Unhandled exception\|^Register dump\|^ \|^Stack dump\|^0x\|^Backtrace\|^=>\|^Modules\|^Threads\|^System information\|^ *[0-9]' \
    "$out/run.txt" | tr -d '\r' | grep -v '^$' | sed 's/^/  /' | head -n 20
[ $rc = 0 ] || fail "run.cmd failed ($rc; see $out/run.txt)"
wine_cleanup
trap - EXIT

results=$kit/results
: > "$out/differences.txt"
: > "$out/hung-builtin.txt"
: > "$out/flaky-builtin.txt"
hung_ours=0
archs=""
for a in x64 x32; do
    ours=$(ls "$results"/*-$a-ours.jsonl 2>/dev/null) system=$(ls "$results"/*-$a-system.jsonl 2>/dev/null)
    if [ -z "$ours" ] || [ -z "$system" ]; then
        say "SKIPPED: $a: run.cmd wrote no $a results (32-bit: wine32 missing?)"
        continue
    fi
    archs="$archs $a"
    tools/compare-results --only-different --html "$out/compare-$a.html" \
        "$ours=ours ($a)" "$system=builtin ($a)" | sed "s/^HTML: /HTML ($a, differing rows only): /" > "$out/compare-$a.txt"
    if [ $assert = 1 ]; then
        say "$a: $(grep -m1 ' checks, ' "$out/compare-$a.txt"); table: $out/compare-$a.txt, HTML: $out/compare-$a.html"
    else
        say ""
        cat "$out/compare-$a.txt"
    fi
    tools/compare-results --html "$out/compare-$a-all.html" "$ours=ours ($a)" "$system=builtin ($a)" >/dev/null
    tools/compare-results --differences "$ours" "$system" | grep '^!' | sed "s/^/$a /" >> "$out/differences.txt"
    # a test process that hung (run.cmd's --timeout: exit 124); the builtin's
    # service sometimes wedges after its earlier crashes, so its hung tests
    # are reported, not compared; ours must never hang
    sed -n 's/^{"test": "\([^"]*\)", "check": "process exit code".*"exit": \(124\|"not run[^"]*"\)}}.*/\1/p' \
        "$system" | tr -d '\r' | sed "s/^/$a /" >> "$out/hung-builtin.txt"
    # a test in which a check marked flaky (the builtin's known failures
    # that come and go) failed this time runs other checks after it: not
    # asserted either
    sed -n 's/^{"test": "\([^"]*\)", .*"outcome": "flaky".*/\1/p' "$system" | sort -u | sed "s/^/$a /" \
        >> "$out/flaky-builtin.txt"
    if grep -q '"check": "process exit code".*"exit": \(124\|"not run\)' "$ours"; then
        say "run-kit: $a: a test of ours hung: $(grep '"exit": 124}' "$ours" | head -n 3)"
        hung_ours=1
    fi
done
[ -n "$archs" ] || fail "run.cmd wrote no results (see $out/run.txt)"
# every run on one page: the matrix of tests x runs first
runs=()
for a in $archs; do
    runs+=("$(ls "$results"/*-$a-system.jsonl)=builtin ($a)" "$(ls "$results"/*-$a-ours.jsonl)=ours ($a)")
done
tools/compare-results --html "$out/compare.html" "${runs[@]}" >/dev/null
say ""
say "full tables: $out/compare.html (every run), $out/compare-<arch>-all.html; results files: $results"
[ $assert = 1 ] || exit 0

# the page as a person sees it (tests/check-page.sh; KIT_PAGE_CHECK=0: the
# caller checks it, as tests/run-wine10.sh does outside its root)
[ "${KIT_PAGE_CHECK:-1}" = 0 ] || tests/check-page.sh "$out/compare.html" "${#runs[@]}" || exit 1

# the outcome differences must be exactly the known ones (per architecture
# run), leaving out the tests in which the builtin hung
skip_hung() {
    local a t line
    while IFS= read -r line; do
        a=${line%% *}; t=${line#* ! }; t=${t%% | *}
        grep -qx "$a $t" "$out/hung-builtin.txt" "$out/flaky-builtin.txt" || printf '%s\n' "$line"
    done
}
while read -r a t; do
    say "NOTE: $a: Wine's builtin hung in or before test $t (its known wedge; run.cmd's --timeout ended it): not compared"
done < "$out/hung-builtin.txt"
while read -r a t; do
    say "NOTE: $a: a check of Wine's builtin marked flaky failed this time in test $t: that test is not compared"
done < "$out/flaky-builtin.txt"
for a in $archs; do grep "^$a " "$known"; done | skip_hung > "$out/known.txt"
skip_hung < "$out/differences.txt" > "$out/differences-compared.txt"

# A test whose differences changed while ours passed every check of it
# changed by the builtin's doing (its failures that come and go under load:
# CI once saw Wine 10's fail threads_one_handle in all eight threads): that
# test runs once more against the builtin, alone, in a fresh server of the
# same prefix; if the differences are then the known ones, it is reported,
# its first run kept in $out/rerun/. Ours never runs again: a failure of
# ours fails.
changed_tests() {
    diff "$out/known.txt" "$out/differences-compared.txt" | sed -n 's/^[<>] \([^ ]*\) ! \(.*\) | .*/\1 \2/p' | sort -u
}
rerun_builtin() {  # ARCH TEST: 0 if its differences are the known ones on a second run of the builtin
    local a=$1 t=$2 ours system merged rc
    ours=$(ls "$results"/*-$a-ours.jsonl) system=$(ls "$results"/*-$a-system.jsonl)
    grep -q "^{\"test\": \"$t\", .*\"outcome\": \"\(fail\|todo-passed\)\"" "$ours" && return 1
    grep -q "^{\"test\": \"$t\", \"check\": \"process exit code\".*\"exit\": 0}" "$ours" || return 1
    mkdir -p "$out/rerun"
    rm -f "$kit/rerun-$a-$t.jsonl"
    (cd "$kit" && wine_in timeout 120 wine "$a/icmp_test.exe" --dll system --results "rerun-$a-$t.jsonl" --timeout 60 "$t") \
        > "$out/rerun/$a-system-$t.log" 2>&1
    rc=$?
    [ -f "$kit/rerun-$a-$t.jsonl" ] || return 1
    merged=$out/rerun/$a-system.jsonl
    { grep -v "^{\"test\": \"$t\"," "$system"
      tr -d '\r' < "$kit/rerun-$a-$t.jsonl"
      printf '{"test": "%s", "check": "process exit code", "outcome": "info", "values": {"exit": %d}}\n' "$t" $rc
    } > "$merged"
    tools/compare-results --differences "$ours" "$merged" | grep "^! $t | " | sed "s/^/$a /" > "$out/rerun/$a-$t.txt"
    grep "^$a ! $t | " "$out/known.txt" | diff - "$out/rerun/$a-$t.txt" > /dev/null
}
if [ $hung_ours = 0 ] && ! diff -q "$out/known.txt" "$out/differences-compared.txt" > /dev/null; then
    wine_private_ns icmpkit || true
    trap wine_cleanup EXIT
    wine_restart
    if [ -n "${WINE_NS:-}" ]; then where=$(wine_server_ns) || fail "$where"; fi
    changed_tests > "$out/changed.txt"
    while read -r a t; do
        if rerun_builtin "$a" "$t"; then
            cp "$results"/*-$a-system-$t.log "$out/rerun/$a-system-$t.first.log" 2>/dev/null
            say "NOTE: $a: test $t differed from the known differences on the builtin's side only, and not on a second run of the builtin: not compared (first run: $out/rerun/$a-system-$t.first.log)"
            for f in known differences-compared; do
                grep -v "^$a ! $t | " "$out/$f.txt" > "$out/$f.tmp"; mv "$out/$f.tmp" "$out/$f.txt"
            done
        fi
    done < "$out/changed.txt"
    wine_cleanup
    trap - EXIT
fi
if [ $hung_ours = 0 ] && diff -u "$out/known.txt" "$out/differences-compared.txt" > "$out/differences.diff"; then
    say "kit (${archs# }, $(wine --version)): ours vs builtin differ in exactly the $(wc -l < "$out/known.txt") known checks: 1 passed, 0 failed"
    exit 0
fi
say "run-kit: the differences between ours and the builtin changed (- known, + now):"
grep '^[-+][^-+]' "$out/differences.diff" | head -n 40
# which side changed: each such test's rows (both outcomes, the values seen)
# and both runs' failure lines, so that a CI log alone tells whose it was
changed_tests | head -n 5 |
while read -r a t; do
    say "-- $a $t: the rows that differ now ([1] ours, [2] builtin) --"
    awk -v t="== $t ==" '$0 == t { on = 1; next } /^== / { on = 0 } on && NF' "$out/compare-$a.txt" | head -n 12
    for which in ours system; do
        say "   $which's failure lines:"
        grep -h 'Test failed\|Test marked flaky' "$results"/*-$a-$which-$t.log 2>/dev/null | tr -d '\r' | head -n 5 |
            sed 's/^/     /'
    done
done
say "kit (${archs# }): 0 passed, 1 failed (if the change is intended, update ${known#$top/})"
exit 1
