# Sourced by the scripts that make throwaway Wine prefixes (tools/run-ping.sh,
# tests/run-dropin.sh, tests/run-conformance.sh). With WINE_NS set, Wine runs
# inside that network namespace (its wineserver is started there).

wine_in() {  # CMD...: runs CMD, inside $WINE_NS when set
    if [ -n "${WINE_NS:-}" ]; then ip netns exec "$WINE_NS" "$@"; else "$@"; fi
}

wine_stop() {  # stops $WINEPREFIX's wineserver, if any, and waits for it
    wine_in wineserver -k >/dev/null 2>&1 || true
    wine_in wineserver -w >/dev/null 2>&1 || true
}

# wine_fresh_prefix LOG: makes $WINEPREFIX anew (wineboot once more if the
# first one fails, as it rarely does), with its registry on disk, and leaves a
# persistent wineserver running for it; its output never holds our stdout.
wine_fresh_prefix() {
    local log=$1 try
    for try in 1 2; do
        wine_stop
        rm -rf "$WINEPREFIX"
        mkdir -p "$WINEPREFIX"
        if wine_in wineboot -i >"$log" 2>&1 </dev/null && wine_in wineserver -w &&
           [ -f "$WINEPREFIX/system.reg" ] && [ -f "$WINEPREFIX/drive_c/windows/system32/kernel32.dll" ]; then
            wine_in wineserver -p >>"$log" 2>&1 </dev/null
            return 0
        fi
        echo "creating the Wine prefix $WINEPREFIX failed (try $try):"
        cat "$log"
    done
    return 1
}
