#!/bin/bash
# make check-install: icmp-echo installed the ways Wine users install DLLs,
# from the release artifacts (`make dist`, `make deb`), each into a new Wine
# prefix with no network (every Wine process, winetricks and apt run in a
# network namespace of the test's own with only its loopback), proving with
# our WINEDEBUG=+icmp traces and Wine's +loaddll that Wine's own 64-bit and
# 32-bit ping.exe went through our iphlpapi.dll (pings_ours), and that each
# route's uninstall restores the prefix exactly (state: the SHA-256 of
# every file of system32 and syswow64, and the DllOverrides key, before and
# after).
#
# routes (run twice: in a throwaway overlay of this machine's root,
# tools/debian-root.sh throwaway host, so the package never reaches the
# machine itself, and in one of the Debian 13 root of check-wine10, under
# Wine 10 and Debian 13's winetricks):
#   - a new prefix: doctor says ours is missing and gives the install
#     command, both pings go through Wine's builtin
#   - winetricks ./icmp_echo.verb from the unpacked tarball: refused without
#     WINEPREFIX, without our DLLs beside it, with a DLL whose SHA-256
#     differs (nothing installed); installs both arches and the overrides; logged; pings; run
#     again: "already installed", nothing changed; doctor as root (raw
#     sockets): everything works; setup_icmp.sh uninstall: exact
#   - the verb beside the tarball: installs from the tarball (now in
#     winetricks' cache); pings; uninstall: exact
#   - where python3-yaml is (this machine's part): the Bottles dependency
#     (through its repository's index.yml) and the Lutris installer,
#     followed step by step by tests/install-steps.py on that prefix; pings
#     (the Lutris "game" with its own overrides too); doctor; uninstall: exact
#   - the Debian package: apt install ./icmp-echo_*.deb (offline);
#     icmp-echo-setup, its man page, its files; its refusals; install into
#     a new prefix; pings; doctor; uninstall: exact; install again; apt
#     remove: the prefix still pings through ours; the tarball's
#     setup_icmp.sh uninstall: exact, pings through the builtin again
# On this machine, besides:
#   files     the tarball's files, our DLLs (tarball, zip, package) without
#             Wine's builtin signature (Proton keeps only such a replacement
#             across its prefix updates), icmp-echo-setup = setup_icmp.sh,
#             lintian on the package: exactly the tags in
#             tests/lintian-expected.txt (none)
#   doctor    an ordinary user (uid 65534, a prefix of its own, in a network
#             namespace of the test's own, where net.ipv4.ping_group_range is
#             set: it is per namespace, the machine's own is never changed)
#             with ping sockets allowed, then refused ("1 0": the fix is the
#             sysctl); that prefix moved into a Proton-like layout
#             (steamapps/compatdata/<id>/pfx, a Proton build's files/bin/wine):
#             refused (setcap will not help, the sysctl will), allowed
# The Debian 13 root's part runs alongside this machine's; each part prints
# "N passed, N failed", and the last line adds them up.
#   tests/run-install.sh [all|here|trixie]     both (default), or one
#   tests/run-install.sh routes DIST DEB VERB  (what the overlays run)
# Needs root (overlays, namespaces, apt), winetricks, lintian and
# python3-yaml (tools/install-deps.sh); otherwise SKIPPED, saying why.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
. tools/wineprefix.sh
. tests/results.sh
out=$top/build-install${BUILD_SUFFIX:-}
export WINEDEBUG=-all WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY WINEDLLOVERRIDES WINEPREFIX WINE
say() { printf 'install: %s\n' "$*"; }
part_start=$(date +%s)
took() { local t=$(( $(date +%s) - part_start )); part_start=$(date +%s); echo "$t s"; }

# the 64-bit loader (Debian's `wine` runs programs in 32-bit mode when
# wine32 is installed, so `wine ping` is the 32-bit ping)
wine64=$(wine_loader x86_64)

# pings_ours LABEL [builtin]: Wine's own 64-bit and 32-bit ping.exe each send
# 2 echoes to 127.0.0.1 in $WINEPREFIX, and each went through our
# iphlpapi.dll: the ping process loaded system32\iphlpapi.dll (syswow64 for
# 32-bit) as native and traced our 2 completed requests; with "builtin":
# through Wine's builtin, and no trace of ours
pings_ours() {
    local label=$1 want=${2:-ours} a loader exe dir log
    for a in x86_64 i386; do
        # (by its path: a bare "ping" goes through start.exe, which now and then
        # fails right after a prefix is made, "ShellExecuteEx failed: Internal error")
        case $a in
        x86_64) loader=$wine64 dir=system32 ;;
        i386) loader=wine dir=syswow64 ;;
        esac
        exe=$WINEPREFIX/drive_c/windows/$dir/ping.exe
        log=$out/ping-${label// /-}-$a.txt
        WINEDEBUG=-all,+icmp,+loaddll wine_in $loader "$exe" -n 2 127.0.0.1 > "$log" 2>&1 </dev/null
        # (what a failure shows: the lines that say which DLL, our traces, ping's own output)
        grep -v ':trace:' "$log" > "$log.why"
        grep -i ':trace:icmp:\|:trace:loaddll:.*\(iphlpapi\.dll\|ping\.exe\)"' "$log" >> "$log.why"
        if [ "$want" = ours ]; then
            check_show="$log.why" check "$label: $a ping: 2 replies, our 2 completions traced, $dir\\iphlpapi.dll loaded as native" \
                ping_went "$log" "$dir" native 2
        else
            check_show="$log.why" check "$label: $a ping: 2 replies through Wine's builtin $dir\\iphlpapi.dll" ping_went "$log" "$dir" builtin 0
        fi
    done
}
# ping_went LOG DIR native|builtin TRACES: what pings_ours checks in LOG
ping_went() {
    local log=$1 dir=$2 kind=$3 traces=$4
    # (our completions may be traced by any thread of the process)
    wine_loaded "$log" ping.exe "$dir" "$kind" &&
        [ "$(tr -d '\r' < "$log" | grep -c '^Reply from 127.0.0.1')" = 2 ] &&
        [ "$(grep -c "$ICMP_TRACE_DONE status 0," "$log")" = "$traces" ] &&
        { [ "$traces" != 0 ] || ! grep -q 'trace:icmp' "$log"; }
}

# state FILE: what "restores the prefix exactly" compares, into FILE: the
# SHA-256 of every file of system32 and syswow64, and the DllOverrides key.
# A file's hash is remembered with its size and time, so a later state
# hashes only what changed (hashing all of it, 1.3 GB, takes seconds; and
# Wine 10 now and then rewrites its own files, same content, new times)
state() {
    python3 - "$WINEPREFIX/drive_c/windows" "$out/hashes-${WINEPREFIX##*/}.json" > "$1" <<'EOF'
import hashlib, json, os, sys
root, cache_file = sys.argv[1], sys.argv[2]
try:
    cache = json.load(open(cache_file))
except (OSError, ValueError):
    cache = {}
seen, lines = {}, []
for top in ("system32", "syswow64"):
    for d, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            path = os.path.join(d, f)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            st, rel = os.stat(path), os.path.relpath(path, root)
            key = "%s %d %d" % (rel, st.st_size, st.st_mtime_ns)
            if key not in cache:
                with open(path, "rb") as fh:
                    cache[key] = hashlib.sha256(fh.read()).hexdigest()
            seen[key] = cache[key]
            lines.append("%s  %s" % (cache[key], rel))
json.dump(seen, open(cache_file, "w"))
print("\n".join(sorted(lines)))
EOF
    wine_in wine reg query 'HKCU\Software\Wine\DllOverrides' 2>/dev/null | tr -d '\r' >> "$1"
}
states=0
same_state() {  # BEFORE: whether the state now is BEFORE's (each kept: state-N.txt)
    states=$((states + 1))
    state "$out/state-$states.txt"
    cmp -s "$1" "$out/state-$states.txt"
}

# verb_in DIR VERB OUT: winetricks VERB from DIR, its output in OUT; once
# more when Wine itself failed under winetricks before the verb ran (its
# probe `wine cmd.exe /c echo %AppData%` came back empty: seen once in a
# loaded CI run, one check of 46 failing on a Wine start, not on the verb)
verb_in() {
    (cd "$1" && wine_in winetricks "$2") > "$3" 2>&1 </dev/null
    if grep -q "echo '%AppData%' returned empty string" "$3"; then
        say "(winetricks: a Wine start failed under it before the verb ran; once more)"
        (cd "$1" && wine_in winetricks "$2") > "$3" 2>&1 </dev/null
    fi
}

# fresh LABEL [nostate]: a new prefix $out/LABEL (wine_fresh_prefix), its state saved
fresh() {
    export WINEPREFIX=$out/$1
    wine_fresh_prefix "$out/wineboot-$1.log" || { echo "install: wineboot failed (see $out/wineboot-$1.log)"; exit 1; }
    [ "${2:-}" = nostate ] || state "$out/state-$1-before.txt"
}

deb_files() {
    local f
    [ "$(command -v icmp-echo-setup)" = /usr/bin/icmp-echo-setup ] && [ -f /usr/share/man/man1/icmp-echo-setup.1.gz ] || return 1
    for f in x64/iphlpapi.dll x64/icmp.dll x64/icmp-echo-helper.exe x32/iphlpapi.dll x32/icmp.dll x32/icmp-echo-helper.exe; do
        [ -f "/usr/lib/icmp-echo/$f" ] || return 1
    done
    tools/check-pe.sh /usr/lib/icmp-echo/x*/*.dll
}

# Bottles and Lutris (tests/install-steps.py follows their files) on the
# prefix $WINEPREFIX, which must be as new; a doctor as root there
steps_routes() {
    local ov
    mkdir -p "$out/bottles-temp"
    cp "$dist/icmp-echo-$version-dlls.zip" "$out/bottles-temp/"
    check "bottles: the dependency's steps, followed" eval \
        "WINE64=$wine64 wine_in python3 tests/install-steps.py bottles '$dist/bottles' icmp-echo --temp '$out/bottles-temp' \
             --prefix '$WINEPREFIX' --arch win64 > '$out/bottles.txt' 2>&1"
    pings_ours "bottles"
    wine_in sh "$dist/setup_icmp.sh" doctor > "$out/doctor-bottles.txt" 2>&1
    check_show="$out/doctor-bottles.txt" check "doctor as root, ours from Bottles: everything works, raw sockets" eval \
        "grep -q 'everything works' '$out/doctor-bottles.txt' && grep -q '^  ok    installed: .*winetricks, Bottles or Lutris' '$out/doctor-bottles.txt' &&
         grep -q '^  ok    ICMP sockets: raw sockets (running as root)' '$out/doctor-bottles.txt'"
    check "bottles: setup_icmp.sh uninstall restores the prefix exactly" eval \
        "wine_in sh '$dist/setup_icmp.sh' uninstall > '$out/bottles-uninstall.txt' 2>&1 && same_state '$out/state-verb-before.txt'"
    check "lutris: the installer's commands, followed" eval \
        "WINE64=$wine64 wine_in python3 tests/install-steps.py lutris '$dist/lutris/icmp-echo.yaml' --gamedir '$WINEPREFIX' \
             --cache '$out/lutris-cache' --file icmpecho='$dist/icmp-echo-$version-dlls.zip' > '$out/lutris.txt' 2>&1"
    ov=$(tail -n 1 "$out/lutris.txt")
    WINEDLLOVERRIDES=$ov WINEDEBUG=-all,+icmp wine_in $wine64 "$WINEPREFIX/drive_c/windows/system32/ping.exe" -n 3 127.0.0.1 \
        > "$out/lutris-game.txt" 2>&1
    check "lutris: the game (ping, WINEDLLOVERRIDES=$ov) goes through ours" \
        test "$(grep -c "$ICMP_TRACE_DONE status 0," "$out/lutris-game.txt")" = 3
    pings_ours "lutris"
    check "lutris: setup_icmp.sh uninstall restores the prefix exactly" eval \
        "wine_in sh '$dist/setup_icmp.sh' uninstall > '$out/lutris-uninstall.txt' 2>&1 && same_state '$out/state-verb-before.txt'"
}

# ---- the routes (in an overlay) ----
routes() {
    local dist=$1 deb=$2 verb=$3 rel version
    version=${dist##*/icmp-echo-}
    rel=$(. /etc/os-release && echo "Debian $VERSION_ID")
    check_tag="install ($rel): routes"
    out=$out/routes
    rm -rf "$out" && mkdir -p "$out"
    trap wine_cleanup EXIT
    wine_private_ns icmpinst || { echo "install: cannot make a network namespace"; exit 1; }
    export XDG_CACHE_HOME=$out/cache
    say "$rel, $(wine --version): winetricks ($(winetricks --version 2>/dev/null | cut -d' ' -f1)), the Debian package$(python3 -c 'import yaml' 2>/dev/null && echo ", Bottles, Lutris"), offline"

    fresh verb
    wine_in sh "$dist/setup_icmp.sh" doctor > "$out/doctor-without.txt" 2>&1
    check_show="$out/doctor-without.txt" check "doctor, a prefix without ours: FIX install (the command), pings through Wine's builtin" eval \
        "! grep -q 'everything works' '$out/doctor-without.txt' && grep -q '^  FIX   installed: no' '$out/doctor-without.txt' &&
         grep -A1 '^  FIX   installed: no' '$out/doctor-without.txt' | grep -q 'WINEPREFIX=.*setup_icmp.sh install' &&
         grep -q '64-bit programs: .*Wine.s builtin' '$out/doctor-without.txt'"
    # (winetricks itself makes ~/.wine first when WINEARCH is set: ours then refuses to install there)
    check "verb: refused without WINEPREFIX, nothing installed in ~/.wine" \
        env want="WINEPREFIX is not set" bash -c 'cd "$0" && ! env -u WINEPREFIX HOME="$1/home" ip netns exec "$2" winetricks ./icmp_echo.verb > "$1/verb-noprefix.txt" 2>&1 &&
            grep -q "$want" "$1/verb-noprefix.txt" && [ ! -e "$1/home/.wine/drive_c/windows/system32/iphlpapi_orig.dll" ]' "$dist" "$out" "$WINE_NS"
    mkdir -p "$out/alone" "$out/bad"
    cp "$dist/icmp_echo.verb" "$out/alone/"
    verb_in "$out/alone" ./icmp_echo.verb "$out/verb-alone.txt"
    check "verb: refused without our DLLs beside it, nothing installed" eval \
        "grep -q 'no x64/ and x32/ beside' '$out/verb-alone.txt' && same_state '$out/state-verb-before.txt'"
    cp -r "$dist/." "$out/bad/"
    printf x >> "$out/bad/x64/icmp.dll"
    verb_in "$out/bad" ./icmp_echo.verb "$out/verb-bad.txt"
    check "verb: a DLL whose SHA-256 differs: refused (winetricks asks, no answer), nothing installed" eval \
        "grep -q 'SHA256 mismatch' '$out/verb-bad.txt' && same_state '$out/state-verb-before.txt'"
    verb_in "$dist" ./icmp_echo.verb "$out/verb-1.txt"
    check "verb: winetricks ./icmp_echo.verb installs" grep -q '^Executing load_icmp_echo' "$out/verb-1.txt"
    for a in x64:system32 x32:syswow64; do
        check "verb: ${a%%:*} DLLs in ${a#*:}" eval "cmp -s '$dist/${a%%:*}/iphlpapi.dll' '$WINEPREFIX/drive_c/windows/${a#*:}/iphlpapi.dll' &&
            cmp -s '$dist/${a%%:*}/icmp.dll' '$WINEPREFIX/drive_c/windows/${a#*:}/icmp.dll'"
    done
    check "verb: Wine's own iphlpapi.dll beside ours (64- and 32-bit)" eval \
        "cmp -s '$(sh "$dist/setup_icmp.sh" dlldir x86_64)/iphlpapi.dll' '$WINEPREFIX/drive_c/windows/system32/iphlpapi_orig.dll' &&
         cmp -s '$(sh "$dist/setup_icmp.sh" dlldir i386)/iphlpapi.dll' '$WINEPREFIX/drive_c/windows/syswow64/iphlpapi_orig.dll'"
    state "$out/state-verb-installed.txt"
    check "verb: overrides *iphlpapi, *icmp = native,builtin" eval \
        "grep -q '\\*iphlpapi *REG_SZ *native,builtin' '$out/state-verb-installed.txt' && grep -q '\\*icmp *REG_SZ *native,builtin' '$out/state-verb-installed.txt'"
    check "verb: logged in winetricks.log" grep -qx icmp_echo "$WINEPREFIX/winetricks.log"
    pings_ours "verb"
    verb_in "$dist" ./icmp_echo.verb "$out/verb-2.txt"
    check "verb: a second run is a no-op (already installed)" eval \
        "grep -q 'icmp_echo already installed, skipping' '$out/verb-2.txt' && ! grep -q 'load_icmp_echo' '$out/verb-2.txt' && same_state '$out/state-verb-installed.txt'"
    wine_in sh "$dist/setup_icmp.sh" doctor > "$out/doctor-verb.txt" 2>&1
    check_show="$out/doctor-verb.txt" check "verb: doctor: everything works, both pings ours, raw sockets as root" eval \
        "grep -q 'doctor: everything works' '$out/doctor-verb.txt' && grep -q '^  ok    64-bit programs: .*ours' '$out/doctor-verb.txt' &&
         grep -q '^  ok    32-bit programs: .*ours' '$out/doctor-verb.txt' && grep -q '^  ok    ICMP sockets: raw sockets (running as root)' '$out/doctor-verb.txt'"
    check "verb: setup_icmp.sh uninstall restores the prefix exactly" eval \
        "wine_in sh '$dist/setup_icmp.sh' uninstall > '$out/verb-uninstall.txt' 2>&1 && same_state '$out/state-verb-before.txt'"
    # the verb beside the tarball: from the tarball, through winetricks' cache
    mkdir -p "$out/beside"
    cp "$verb" "$(dirname "$verb")/$(basename "$dist").tar.gz" "$out/beside/"
    verb_in . "$out/beside/icmp_echo.verb" "$out/verb-beside.txt"
    check "verb beside the tarball: installs from the tarball, now in winetricks' cache" eval \
        "grep -q '^Executing load_icmp_echo' '$out/verb-beside.txt' && [ -f '$out/cache/winetricks/icmp_echo/$(basename "$dist").tar.gz' ] &&
         cmp -s '$dist/x64/iphlpapi.dll' '$WINEPREFIX/drive_c/windows/system32/iphlpapi.dll'"
    pings_ours "verb beside the tarball"
    check "verb beside the tarball: uninstall restores the prefix exactly" eval \
        "wine_in sh '$dist/setup_icmp.sh' uninstall > '$out/verb-uninstall2.txt' 2>&1 && same_state '$out/state-verb-before.txt'"
    # Bottles and Lutris, once: where python3-yaml is (this machine; the
    # Debian 13 root has no python3-yaml), on the same prefix, restored exactly
    if python3 -c 'import yaml' 2>/dev/null; then steps_routes; fi
    wine_stop

    # the Debian package
    check "deb: apt install ./$(basename "$deb") (offline)" eval \
        "ip netns exec '$WINE_NS' env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends '$deb' > '$out/apt-install.txt' 2>&1"
    check "deb: icmp-echo-setup, its man page and both arches' files" deb_files
    check "deb: icmp-echo-setup refuses without WINEPREFIX" env want="WINEPREFIX is not set" bash -c \
        '! env -u WINEPREFIX icmp-echo-setup install > "$0/setup-noprefix.txt" 2>&1 && grep -q "$want" "$0/setup-noprefix.txt"' "$out"
    check "deb: icmp-echo-setup refuses a missing prefix" env want="does not exist" bash -c \
        '! WINEPREFIX="$0/nowhere" icmp-echo-setup install > "$0/setup-missing.txt" 2>&1 && grep -q "$want" "$0/setup-missing.txt"' "$out"
    fresh deb
    check "deb: icmp-echo-setup install into a new prefix" eval "wine_in icmp-echo-setup install > '$out/deb-install.txt' 2>&1"
    check "deb: the package's DLLs are installed" eval \
        "cmp -s /usr/lib/icmp-echo/x64/iphlpapi.dll '$WINEPREFIX/drive_c/windows/system32/iphlpapi.dll' &&
         cmp -s /usr/lib/icmp-echo/x32/iphlpapi.dll '$WINEPREFIX/drive_c/windows/syswow64/iphlpapi.dll'"
    pings_ours "deb"
    check_show="$out/doctor-deb.txt" check "deb: icmp-echo-setup doctor: everything works" eval "wine_in icmp-echo-setup doctor > '$out/doctor-deb.txt' 2>&1"
    check "deb: uninstall restores the prefix exactly" eval \
        "wine_in icmp-echo-setup uninstall > '$out/deb-uninstall.txt' 2>&1 && same_state '$out/state-deb-before.txt'"
    check "deb: install again" eval "wine_in icmp-echo-setup install > '$out/deb-install2.txt' 2>&1"
    check "deb: apt remove" eval \
        "ip netns exec '$WINE_NS' env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q icmp-echo > '$out/apt-remove.txt' 2>&1 &&
         ! command -v icmp-echo-setup >/dev/null && [ ! -e /usr/lib/icmp-echo ]"
    pings_ours "after apt remove"
    check "after apt remove: the tarball's setup_icmp.sh uninstall restores the prefix exactly" eval \
        "wine_in sh '$dist/setup_icmp.sh' uninstall > '$out/deb-uninstall2.txt' 2>&1 && same_state '$out/state-deb-before.txt'"
    pings_ours "after uninstall" builtin

    trap - EXIT
    wine_cleanup
    say "routes ($rel, $(wine --version), $(took)): $checks_passed passed, $checks_failed failed"
    [ "$checks_failed" = 0 ]
}

if [ "${1:-}" = routes ]; then
    shift
    routes "$@"
    exit
fi

# ---- on this machine, and in the Debian 13 root ----
which=${1:-all}
case $which in all|here|trixie) ;; *) echo "usage: $0 [all|here|trixie] | routes DIST DEB VERB" >&2; exit 2 ;; esac
version=$(tools/dist/version.sh)
here_rel=$(. /etc/os-release && echo "Debian $VERSION_ID")
tarball=$top/build-dist/icmp-echo-$version.tar.gz
deb=$(ls "$top"/build-deb/icmp-echo_*_all.deb 2>/dev/null | head -n 1)
[ -f "$tarball" ] && [ -f "$top/build-dist/icmp_echo.verb" ] || { echo "install: no release tarball (make dist)" >&2; exit 1; }
[ -n "$deb" ] || { echo "install: no Debian package (make deb)" >&2; exit 1; }
rc=0
if [ "$(id -u)" != 0 ]; then
    echo "SKIPPED: install routes (the winetricks verb, the Debian package, Bottles, Lutris, doctor): they need root (overlay mounts, network namespaces, apt); sudo make check-install"
    exit 0
fi
missing=""
command -v winetricks >/dev/null || missing="$missing winetricks"
command -v lintian >/dev/null || missing="$missing lintian"
python3 -c 'import yaml' 2>/dev/null || missing="$missing python3-yaml"
if [ -n "$missing" ]; then
    echo "SKIPPED: install routes: not installed:$missing (tools/install-deps.sh installs them)"
    exit 0
fi
if ! why=$(icmp_sockets_usable); then echo "SKIPPED: install routes: $why"; exit 0; fi

unpack() {  # DIR: the tarball unpacked there, world-readable; prints the tree
    rm -rf "$1" && mkdir -p "$1" && tar -xzf "$tarball" -C "$1" && chmod -R a+rX "$1" && echo "$1/icmp-echo-$version"
}

here() {
    local dist
    rm -rf "$out" && mkdir -p "$out"
    dist=$(unpack "$out/unpacked") || { echo "install: cannot unpack $tarball"; return 1; }
    checks_passed=0 checks_failed=0 check_tag="install ($here_rel): files"

    # ---- the files ----
    for f in setup_icmp.sh icmp_echo.verb README.txt COPYING.LIB x64/iphlpapi.dll x64/icmp.dll x64/icmp-echo-helper.exe \
             x32/iphlpapi.dll x32/icmp.dll x32/icmp-echo-helper.exe bottles/index.yml bottles/Essentials/icmp-echo.yml \
             lutris/icmp-echo.yaml "icmp-echo-$version-dlls.zip"; do
        check "the tarball has $f" test -f "$dist/$f"
    done
    check "the verb beside the tarball names its SHA-256" grep -q "^_W_icmp_echo_tarball_sha256=\"$(sha256sum "$tarball" | cut -d' ' -f1)\"" \
        "$top/build-dist/icmp_echo.verb"
    mkdir -p "$out/zip" "$out/debx"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$dist/icmp-echo-$version-dlls.zip" "$out/zip"
    dpkg-deb -x "$deb" "$out/debx"
    check "no DLL of ours carries Wine's builtin signature (tarball, zip, package): Proton keeps them" \
        tools/check-pe.sh "$dist"/x*/*.dll "$out"/zip/x*/*.dll "$out"/debx/usr/lib/icmp-echo/x*/*.dll
    check "the zip holds the tarball's files" eval "cmp -s '$dist/x64/iphlpapi.dll' '$out/zip/x64/iphlpapi.dll' && cmp -s '$dist/x32/icmp-echo-helper.exe' '$out/zip/x32/icmp-echo-helper.exe'"
    check "the package's icmp-echo-setup is setup_icmp.sh" cmp -s tools/dist/setup_icmp.sh "$out/debx/usr/bin/icmp-echo-setup"
    lintian -EIL +pedantic --display-experimental --tag-display-limit 0 "$deb" 2>/dev/null | sort > "$out/lintian.txt"
    check "lintian: exactly the tags in tests/lintian-expected.txt" eval \
        "grep -v '^#' tests/lintian-expected.txt | sort | diff - '$out/lintian.txt'"
    say "files ($here_rel, $(took)): $checks_passed passed, $checks_failed failed"
    [ "$checks_failed" = 0 ] || rc=1

    # ---- doctor for an ordinary user, with and without ping sockets, and Proton ----
    checks_passed=0 checks_failed=0 check_tag="install ($here_rel): doctor"
    ns=icmpinst-user-$$
    local proton steam pfx udist
    # (the user's files in /tmp: the tree may be where uid 65534 cannot go, e.g. under /root)
    share=$(mktemp -d /tmp/icmp-install.XXXXXX) && chmod 755 "$share" || { echo "install: mktemp failed"; exit 1; }
    trap 'wine_stop; ip netns del "$ns" 2>/dev/null; rm -rf "$share"' EXIT
    cp -r "$dist" "$share/dist" && chmod -R a+rX "$share/dist"
    udist=$share/dist
    ip netns add "$ns" && ip netns exec "$ns" ip link set lo up || { echo "install: cannot make $ns"; exit 1; }
    export WINE_NS=$ns WINE_UID=65534
    # (the prefix's wineserver stopped: the next one opens its sockets under the new range)
    allow() { ip netns exec "$ns" sysctl -q -w net.ipv4.ping_group_range="$1"; wine_stop; }
    ip netns exec "$ns" sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
    export WINEPREFIX=$share/user
    wine_fresh_prefix "$out/wineboot-user.log" || { echo "install: wineboot failed (see $out/wineboot-user.log)"; exit 1; }
    check_show="$out/user-install.txt" check "user: setup_icmp.sh install (its own prefix, ping sockets)" eval "wine_in sh '$udist/setup_icmp.sh' install > '$out/user-install.txt' 2>&1"
    wine_in sh "$udist/setup_icmp.sh" doctor > "$out/doctor-user-allowed.txt" 2>&1
    check_show="$out/doctor-user-allowed.txt" check "doctor, user, ping sockets allowed: everything works, by ping sockets" eval \
        "grep -q 'everything works' '$out/doctor-user-allowed.txt' &&
         grep -q '^  ok    ICMP sockets: Linux ping sockets (group 65534 is inside net.ipv4.ping_group_range \"0 2147483647\")' '$out/doctor-user-allowed.txt' &&
         grep -q '^  ok    64-bit programs: .*ours' '$out/doctor-user-allowed.txt' && grep -q '^  ok    32-bit programs: .*ours' '$out/doctor-user-allowed.txt'"
    # a Wine whose every other start fails, printing nothing (as a start now
    # and then does on a loaded machine): doctor concludes only from programs
    # that started, so it still says everything works
    flaky=$share/flaky
    mkdir -p "$flaky/bin" "$flaky/lib/wine"
    for a in x86_64 i386; do ln -s "$(sh "$udist/setup_icmp.sh" dlldir $a)" "$flaky/lib/wine/$a-windows"; done
    for w in wine:wine wine64:"$wine64"; do
        printf '#!/bin/sh
[ "$1" = --version ] && exec %s "$@"
n=$(($(cat %s/starts) + 1)); echo $n > %s/starts
[ $((n %% 2)) = 0 ] || exit 1
exec %s "$@"
' \
            "${w#*:}" "$flaky" "$flaky" "${w#*:}" > "$flaky/bin/${w%%:*}"
    done
    echo 0 > "$flaky/starts" && chmod 755 "$flaky"/bin/* && chmod 666 "$flaky/starts"
    wine_in env WINE="$flaky/bin/wine" sh "$udist/setup_icmp.sh" doctor > "$out/doctor-user-flaky.txt" 2>&1
    check_show="$out/doctor-user-flaky.txt" check "doctor, user, a Wine whose every other start fails: everything works, both pings ours ($(cat "$flaky/starts") starts)" eval \
        "grep -q 'everything works' '$out/doctor-user-flaky.txt' && [ \$(cat '$flaky/starts') -ge 10 ] &&
         grep -q '^  ok    64-bit programs: .*ours' '$out/doctor-user-flaky.txt' && grep -q '^  ok    32-bit programs: .*ours' '$out/doctor-user-flaky.txt' &&
         grep -q '^  ok    ICMP sockets: Linux ping sockets (group 65534' '$out/doctor-user-flaky.txt' && grep -q '^  ok    installed: ' '$out/doctor-user-flaky.txt'"
    allow "1 0"
    wine_in sh "$udist/setup_icmp.sh" doctor > "$out/doctor-user-refused.txt" 2>&1
    check_show="$out/doctor-user-refused.txt" check "doctor, user, \"1 0\": FIX ICMP sockets, says why (\"1 0\", Debian and Ubuntu), the sysctl" eval \
        "! grep -q 'everything works' '$out/doctor-user-refused.txt' &&
         grep -q '^  FIX   ICMP sockets: not permitted: .*net.ipv4.ping_group_range is \"1 0\" (Debian.s and Ubuntu.s default' '$out/doctor-user-refused.txt' &&
         grep -A1 '^  FIX   ICMP sockets' '$out/doctor-user-refused.txt' | grep -q '^        sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"' &&
         grep -q '^  FAIL  64-bit programs: .*no ICMP socket' '$out/doctor-user-refused.txt' &&
         grep -q 'doctor: 1 to fix' '$out/doctor-user-refused.txt' && grep -q '^  ok    not a Proton prefix' '$out/doctor-user-refused.txt'"
    # a Proton-like layout: Steam's compatdata/<appid>/pfx, a Proton build's files/bin/wine
    wine_stop
    steam=$share/steam/steamapps
    proton=$steam/common/Proton-test
    pfx=$steam/compatdata/4242/pfx
    mkdir -p "$proton/files/bin" "$proton/files/lib/wine" "$(dirname "$pfx")"
    mv "$WINEPREFIX" "$pfx" && mv "$WINEPREFIX.home" "$pfx.home"
    echo "9.0-test" > "$(dirname "$pfx")/version"
    for a in x86_64 i386; do ln -s "$(sh "$udist/setup_icmp.sh" dlldir $a)" "$proton/files/lib/wine/$a-windows"; done
    printf '#!/bin/sh\nexec %s "$@"\n' wine > "$proton/files/bin/wine"
    printf '#!/bin/sh\nexec %s "$@"\n' "$wine64" > "$proton/files/bin/wine64"
    printf '#!/bin/sh\nexec %s "$@"\n' wineserver > "$proton/files/bin/wineserver"
    chmod 755 "$proton"/files/bin/*
    touch "$proton/proton"
    export WINEPREFIX=$pfx
    wine_in env WINE="$proton/files/bin/wine" sh "$udist/setup_icmp.sh" doctor > "$out/doctor-proton-refused.txt" 2>&1
    check_show="$out/doctor-proton-refused.txt" check "doctor, Proton-like, \"1 0\": a Proton prefix, setcap will not help, the sysctl (only)" eval \
        "grep -q '^  note  Proton prefix' '$out/doctor-proton-refused.txt' &&
         grep -q '^  FIX   ICMP sockets: not permitted: .*setcap will not help' '$out/doctor-proton-refused.txt' &&
         grep -A1 '^  FIX   ICMP sockets' '$out/doctor-proton-refused.txt' | grep -q '^        sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"' &&
         ! grep '^  FIX   ICMP' '$out/doctor-proton-refused.txt' | grep -q 'or: sudo setcap' &&
         grep -q \"Wine: $proton/files/bin/wine\" '$out/doctor-proton-refused.txt'"
    allow "0 2147483647"
    wine_in env WINE="$proton/files/bin/wine" sh "$udist/setup_icmp.sh" doctor > "$out/doctor-proton-allowed.txt" 2>&1
    check_show="$out/doctor-proton-allowed.txt" check "doctor, Proton-like, ping sockets allowed: everything works, ours through Proton's Wine" eval \
        "grep -q 'everything works' '$out/doctor-proton-allowed.txt' && grep -q '^  note  Proton prefix' '$out/doctor-proton-allowed.txt' &&
         grep -q '^  ok    64-bit programs: .*ours' '$out/doctor-proton-allowed.txt' &&
         grep -q \"^  ok    Wine's own DLLs: $proton/files/lib/wine/x86_64-windows\" '$out/doctor-proton-allowed.txt'"
    wine_stop
    ip netns del "$ns"
    rm -rf "$share"
    trap - EXIT
    unset WINE_NS WINE_UID WINEPREFIX
    say "doctor ($here_rel, $(took)): $checks_passed passed, $checks_failed failed"
    [ "$checks_failed" = 0 ] || rc=1

    # ---- the routes, in an overlay of this machine ----
    say "---- the routes on $here_rel (an overlay of this machine's root) ----"
    tools/debian-root.sh throwaway host tests/run-install.sh routes "$dist" "$deb" "$top/build-dist/icmp_echo.verb" || rc=1
}

trixie() {
    local dist
    say "---- the routes on Debian 13 (tools/debian-root.sh throwaway trixie) ----"
    tools/debian-root.sh make trixie || { echo "install: cannot make the Debian 13 root"; return 1; }
    dist=$(unpack "$top/build-install-trixie-unpacked") || return 1
    tools/debian-root.sh throwaway trixie env BUILD_SUFFIX=-trixie tests/run-install.sh routes \
        "$dist" "$deb" "$top/build-dist/icmp_echo.verb" || return 1
    rm -rf "$top/build-install-trixie-unpacked"
}

# (the parts' "N passed, N failed" lines, some from other processes, added up at the end)
sums=$(mktemp)
exec > >(tee "$sums") 2>&1
t0=$(date +%s)
case $which in
all)
    # (the Debian 13 root's part runs beside this machine's: other prefixes,
    # namespaces and mounts; its output follows this machine's)
    tlog=$(mktemp)
    { tools/debian-root.sh make trixie > "$tlog" 2>&1 && trixie >> "$tlog" 2>&1; echo $? > "$tlog.rc"; t1=$(date +%s); echo "$t1" > "$tlog.t"; } &
    tpid=$!
    here
    wait $tpid   # (a bare wait would wait for the tee below too, which never ends)
    cat "$tlog"
    [ "$(cat "$tlog.rc")" = 0 ] || rc=1
    t1=$(cat "$tlog.t")
    rm -f "$tlog" "$tlog.rc" "$tlog.t"
    ;;
here) here ;;
trixie) trixie || rc=1 ;;
esac
total=$(sed -n 's/^install: .*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$sums" | awk '{ p += $1; f += $2 } END { print p + 0, f + 0 }')
rm -f "$sums"
[ "${total#* }" = 0 ] || rc=1
say "check-install ($(( $(date +%s) - t0 )) s${t1:+; Debian 13 root part, alongside: $(( t1 - t0 )) s}): ${total% *} passed, ${total#* } failed"
# (the prefixes take 1.3 GB each: kept only when something failed, or with KEEP_LOGS=1)
if [ $rc = 0 ] && [ -z "${KEEP_LOGS:-}" ]; then rm -rf "$out" "$top/build-install-trixie"; fi
exit $rc
