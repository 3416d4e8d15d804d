#!/bin/bash
# check-page.sh HTML RUNS: a comparison page (tools/compare-results --html)
# as a person sees it: Debian's chromium, headless, draws it (HTML's .png
# beside it) and gives back the DOM it built, which must hold the tests x
# runs matrix: more than 20 tests, each row a cell per run (RUNS). Prints
# "N passed, N failed"; without chromium it is SKIPPED, saying why.
set -u
html=$(readlink -f "$1") runs=$2
png=${html%.html}.png dir=$(dirname "$html")
say() { printf 'page: %s\n' "$*"; }

browser=$(command -v chromium || command -v chromium-browser) || {
    say "SKIPPED: the comparison page in a browser: chromium is not installed (tools/install-deps.sh installs it)"
    exit 0; }
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$dir/chromium" --hide-scrollbars)
rm -f "$png"
timeout 120 "$browser" "${flags[@]}" --window-size=1200,1000 --screenshot="$png" "file://$html" > "$dir/chromium.log" 2>&1
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$html" > "${html%.html}.dom" 2>>"$dir/chromium.log"
tests=$(python3 - "${html%.html}.dom" "$runs" <<'PY'
import sys, html.parser
class Matrix(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.rows = False, []
    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'table' and attrs.get('class') == 'matrix': self.inside = True
        elif self.inside and tag == 'tr': self.rows.append(0)
        elif self.inside and tag == 'td' and 'cell' in (attrs.get('class') or '') and self.rows: self.rows[-1] += 1
    def handle_endtag(self, tag):
        if tag == 'table': self.inside = False
m = Matrix()
m.feed(open(sys.argv[1]).read())
body = m.rows[1:]
print(len(body) if body and all(n == int(sys.argv[2]) for n in body) else 0)
PY
)
if [ -s "$png" ] && [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
   [ "$(stat -c %s "$png")" -gt 20000 ] && [ "${tests:-0}" -gt 20 ]; then
    say "chromium drew $png ($(stat -c %s "$png") bytes); its DOM has the matrix, $tests tests x $runs runs: 1 passed, 0 failed"
else
    say "chromium did not draw $html as expected (png: $(stat -c %s "$png" 2>/dev/null || echo no) bytes, matrix rows: ${tests:-0}; see $dir/chromium.log): 0 passed, 1 failed"
    exit 1
fi
