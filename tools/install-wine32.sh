#!/bin/bash
# install-wine32.sh: installs wine32:i386 on Debian 12 (as root; called by
# tools/install-deps.sh), so that the 32-bit Wine suites can run.
#
# First the plain way (`apt-get install wine32:i386`), which is all a normal
# mirror needs. Some mirrors serve no i386 index for bookworm-security, so
# the i386 halves of security-updated libraries cannot match their amd64
# halves (a Multi-Arch: same package must have one version on both
# architectures) and apt refuses. Then, for this one resolution only:
#   - packages from Debian-Security get priority 100 (as installed ones have),
#     so each amd64 library's candidate is the version the i386 index has too;
#   - apt is simulated (apt-get -s) and every i386 package it says it cannot
#     install whose installed amd64 half has another version than the i386
#     candidate is aligned: both halves at the i386 candidate's version (a
#     downgrade of the amd64 half where security had updated it); again,
#     until apt accepts (the set changes whenever Debian publishes updates,
#     so it is computed, never listed here);
#   - what apt will change is printed, then done.
# The preference lives in a temporary directory given to apt with
# Dir::Etc::PreferencesParts (with copies of the system's own preference
# files), so no pin is left behind, whatever happens. The details go to
# $WINE32_LOG (default /tmp/install-deps-wine32.log). Exits 0 if wine32 is
# installed at the end.
set -u
log=${WINE32_LOG:-/tmp/install-deps-wine32.log}
say() { echo "install-wine32: $*"; }
export DEBIAN_FRONTEND=noninteractive

if dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q "ok installed"; then exit 0; fi
[ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
: > "$log"
dpkg --add-architecture i386
apt-get update -q >>"$log" 2>&1 || say "apt-get update reported errors (see $log); using the lists it has"

say "trying apt-get install wine32:i386"
if apt-get install -y -q --no-install-recommends wine32:i386 >>"$log" 2>&1; then
    say "wine32 installed"
    exit 0
fi

prefs=$(mktemp -d)
trap 'rm -rf "$prefs"' EXIT
for f in /etc/apt/preferences.d/*; do [ -f "$f" ] && cp "$f" "$prefs/"; done
printf 'Package: *\nPin: release l=Debian-Security\nPin-Priority: 100\n' > "$prefs/zz-icmp-echo-wine32"
apt=(apt-get -q -o "Dir::Etc::PreferencesParts=$prefs" --no-install-recommends --allow-downgrades)

# the i386 candidate of $1 when its installed amd64 half differs and amd64 has that version too
misaligned() {
    local name=$1 inst cand
    inst=$(dpkg-query -W -f='${Version}' "$name:amd64" 2>/dev/null) || return 1
    [ -n "$inst" ] || return 1
    cand=$(apt-cache -o "Dir::Etc::PreferencesParts=$prefs" policy "$name:i386" | awk '/Candidate:/ { print $2 }')
    [ -n "$cand" ] && [ "$cand" != "(none)" ] && [ "$cand" != "$inst" ] || return 1
    apt-cache show "$name:amd64=$cand" >/dev/null 2>&1 || return 1
    echo "$cand"
}

say "aligning amd64 and i386 library versions (apt simulated first)"
aligned=()
for round in $(seq 1 20); do
    out=$("${apt[@]}" -s install wine32:i386 "${aligned[@]}" 2>&1) && break
    echo "$out" >> "$log"
    added=0
    for name in $(echo "$out" | grep -oE '[a-z0-9][a-z0-9+.-]*:i386' | sed 's/:i386$//' | sort -u); do
        case " ${aligned[*]} " in *" $name:amd64="*) continue ;; esac
        if version=$(misaligned "$name"); then
            say "  $name: amd64 and i386 both at $version"
            aligned+=("$name:amd64=$version" "$name:i386=$version")
            added=1
        fi
    done
    if [ $added = 0 ]; then
        say "apt still refuses and there is nothing left to align (see $log)"
        exit 1
    fi
done
echo "$out" | grep -E '^[0-9]+ upgraded' | sed 's/^/install-wine32: apt will do: /'
echo "$out" | awk '/^The following packages will be (DOWNGRADED|upgraded):/ { show = 1; print; next }
                   /^The following/ || /^[0-9]+ upgraded/ { show = 0 } show' | sed 's/^/install-wine32:   /'
"${apt[@]}" -y install wine32:i386 "${aligned[@]}" >>"$log" 2>&1 || { say "apt-get install failed (see $log)"; exit 1; }
dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q "ok installed" || { say "wine32 is still not installed"; exit 1; }
say "wine32 installed (no apt preference was left behind)"
