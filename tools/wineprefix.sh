# Sourced by the scripts that make throwaway Wine prefixes (tools/run-ping.sh,
# tests/run-dropin.sh, tests/run-conformance.sh, tests/run-lab.sh). Their
# build directories get BUILD_SUFFIX appended (set for the runs under
# another release's Wine, tools/debian-root.sh: -trixie). With
# WINE_NS set, Wine runs inside that network namespace (its wineserver is
# started there); with WINE_UID set (root only), as that user, whose prefix
# and HOME ($WINEPREFIX.home) it then owns. With WINE_SERVER set (a path),
# the prefix's wineserver is that binary (the ICMPv6-capable one of `make
# wineserver-icmpv6`), started before any Wine process of the prefix: Wine's
# loader starts its own server when none is running and ignores WINESERVER.

# The trace lines our DLL writes with WINEDEBUG=+icmp for each request it
# sends and each it completes: stable tags, whatever function writes them.
ICMP_TRACE_SENT='trace:icmp:[a-z_0-9]* sending seq [0-9]*:'
ICMP_TRACE_DONE='trace:icmp:[a-z_0-9]* completed seq [0-9]*:'

wine_in() {  # CMD...: runs CMD, inside $WINE_NS and as $WINE_UID when set
    local as=()
    [ -n "${WINE_UID:-}" ] && as=(setpriv --reuid="$WINE_UID" --regid="$WINE_UID" --clear-groups
                                  env HOME="$WINEPREFIX.home" USER=nobody)
    if [ -n "${WINE_NS:-}" ]; then ip netns exec "$WINE_NS" "${as[@]}" "$@"; else "${as[@]}" "$@"; fi
}

# wine_loader ARCH: the loader that runs ARCH's programs. Debian's `wine`
# runs the 32-bit loader when wine32 is installed, and a program named
# without a path is then looked for in syswow64: the 64-bit one needs
# wine64 (and the program's full system32 path)
wine_loader() {
    if [ "$1" = x86_64 ] && [ -x /usr/lib/wine/wine64 ]; then echo /usr/lib/wine/wine64; else echo wine; fi
}

# wine_loaded LOG EXE DIR KIND: in LOG (WINEDEBUG=+loaddll), the process that
# loaded EXE (a file name) loaded DIR\iphlpapi.dll (system32, syswow64) as
# KIND (native, builtin): proof of which DLL a program ran
wine_loaded() {
    local log=$1 exe=$2 dir=$3 kind=$4 tid l
    # (the debug prefix is the thread's id: the one that loaded the program
    # loads its imports)
    tid=$(grep -i "trace:loaddll:.*Loaded L\"[^\"]*${exe//./\\.}\"" "$log" | head -n 1 | cut -d: -f1)
    [ -n "$tid" ] || return 1
    l=$(grep "^$tid:trace:loaddll:" "$log" | grep -i 'iphlpapi\.dll"' | head -n 1 | tr 'A-Z' 'a-z' | tr -d '\\')
    case $l in *"windows${dir}iphlpapi.dll\" at "*": $kind") ;; *) return 1 ;; esac
}

# wine_private_ns NAME: as root, makes the network namespace NAME-PID with
# only its loopback up and exports WINE_NS, so that Wine runs there (fails,
# changing nothing, when it cannot); wine_cleanup, a runner's exit trap,
# stops the prefix's wineserver and removes that namespace
wine_private_ns() {
    [ "$(id -u)" = 0 ] && ip netns add "$1-$$" 2>/dev/null || return 1
    export WINE_NS=$1-$$
    ip netns exec "$WINE_NS" ip link set lo up
}
wine_cleanup() {
    wine_stop
    if [ -n "${WINE_NS:-}" ]; then ip netns del "$WINE_NS" 2>/dev/null; fi
    return 0
}

wine_stop() {  # stops $WINEPREFIX's wineserver, if any, and waits for it
    wine_in wineserver -k >/dev/null 2>&1 || true
    wine_in wineserver -w >/dev/null 2>&1 || true
}

# wine_server_start [LOG]: starts a persistent wineserver for $WINEPREFIX
# ($WINE_SERVER, or Wine's own), where WINE_NS says; it has forked into the
# background, its socket ready, when this returns
wine_server_start() {
    wine_in "${WINE_SERVER:-wineserver}" -p >>"${1:-/dev/null}" 2>&1 </dev/null
}

# wine_restart: a clean slate after a test process hung: stops the prefix's
# wineserver (and so every process of the prefix, services included) and
# starts a new persistent one, where WINE_NS says
wine_restart() {
    wine_stop
    wine_server_start
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
        if [ -n "${WINE_UID:-}" ]; then
            mkdir -p "$WINEPREFIX.home" && chown "$WINE_UID:$WINE_UID" "$WINEPREFIX" "$WINEPREFIX.home"
        fi
        : > "$log"
        if [ -n "${WINE_SERVER:-}" ]; then
            # the prefix's first process must find our server running; it
            # writes the registry to disk when stopped
            wine_server_start "$log" && wine_in wineboot -i >>"$log" 2>&1 </dev/null && wine_stop
        else
            wine_in wineboot -i >>"$log" 2>&1 </dev/null && wine_in wineserver -w
        fi
        if [ $? = 0 ] && [ -f "$WINEPREFIX/system.reg" ] &&
           [ -f "$WINEPREFIX/drive_c/windows/system32/kernel32.dll" ]; then
            wine_server_start "$log"
            return 0
        fi
        echo "creating the Wine prefix $WINEPREFIX failed (try $try):"
        cat "$log"
    done
    return 1
}

# wine_settled CMD...: runs a Wine command that changes the prefix (wineboot
# -u) under a server that ends a few seconds after the prefix's last
# program, and waits for that: every process the command left behind has
# finished and the registry is saved. Then starts the persistent server
# again. (A program started while such an update still runs may find the
# prefix half rewritten: Wine's start.exe then fails to find ping.exe.)
wine_settled() {
    local rc
    wine_stop
    wine_in "${WINE_SERVER:-wineserver}" -p3 >/dev/null 2>&1 </dev/null
    wine_in "$@"; rc=$?
    wine_in wineserver -w
    wine_server_start
    return $rc
}

# wine_prefix_usable: whether $WINEPREFIX exists and its programs start (a
# prefix made before wine32 was installed fails every program with "could
# not load kernel32.dll, status c0000135"); scripts that reuse a prefix
# recreate it when not
wine_prefix_usable() {
    [ -f "$WINEPREFIX/system.reg" ] || return 1
    wine_in wine cmd /c exit 0 >/dev/null 2>&1 </dev/null
}

# icmp_raw_sockets: whether wineserver opens raw ICMP sockets (root, or
# CAP_NET_RAW on it); if not, it falls back to Linux ping sockets, which show
# no IP header (the conformance programs' --unpriv)
icmp_raw_sockets() {
    local server
    [ "$(id -u)" = 0 ] && return 0
    for server in /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver; do
        [ -x "$server" ] && command -v getcap >/dev/null && getcap "$server" 2>/dev/null | grep -q cap_net_raw && return 0
    done
    return 1
}

# icmp_sockets_usable: whether Wine (its wineserver, as this user) can open
# an ICMP socket: as root, with CAP_NET_RAW on wineserver, or with ping
# sockets allowed for one of the user's groups; else prints why and how to
# fix it, and fails
icmp_sockets_usable() {
    local lo hi gid
    icmp_raw_sockets && return 0
    read -r lo hi < /proc/sys/net/ipv4/ping_group_range
    for gid in $(id -G); do [ "$gid" -ge "$lo" ] && [ "$gid" -le "$hi" ] && return 0; done
    echo "this user may open no ICMP socket under Wine: wineserver has no CAP_NET_RAW and" \
         "net.ipv4.ping_group_range (\"$lo $hi\") holds none of its groups ($(id -G | tr ' ' ,))." \
         "Run as root, or allow ping sockets (sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\")" \
         "or give wineserver CAP_NET_RAW (see README, Troubleshooting)"
    return 1
}

# icmpv6_server: prints the ICMPv6-capable wineserver the suites use
# ($WINE_SERVER_ICMPV6, by default build-wineserver$BUILD_SUFFIX/wineserver
# from `make wineserver-icmpv6`), or fails printing why there is none
icmpv6_server() {
    local d=build-wineserver${BUILD_SUFFIX:-} s=${WINE_SERVER_ICMPV6:-build-wineserver${BUILD_SUFFIX:-}/wineserver}
    if [ "$s" = none ]; then echo "WINE_SERVER_ICMPV6=none"; return 1; fi
    if [ -x "$s" ]; then readlink -f "$s"; return 0; fi
    if [ -f "$d/unavailable" ]; then cat "$d/unavailable"
    else echo "$s is not built (make wineserver-icmpv6)"; fi
    return 1
}

# wine_server_ns: checks that $WINEPREFIX's wineserver runs inside $WINE_NS
# (Wine makes its sockets there: a server outside would send outside the
# lab); prints where it is, fails if it is not there
wine_server_ns() {
    local pid server_pid="" where
    for pid in $(pgrep -x wineserver; pgrep -x wineserver64); do
        if { tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -qx "WINEPREFIX=$WINEPREFIX"; then server_pid=$pid; fi
    done
    if [ -z "$server_pid" ]; then echo "cannot find the wineserver of $WINEPREFIX"; return 1; fi
    where=$(ip netns identify "$server_pid")
    if [ "$where" != "$WINE_NS" ]; then
        echo "wineserver $server_pid is in namespace '$where', not in the lab $WINE_NS: refusing to send"
        return 1
    fi
    # (the same file, by device and inode: seen from a chroot, its path may
    # be the one outside, tools/debian-root.sh)
    if [ -n "${WINE_SERVER:-}" ] &&
       [ "$(stat -L -c %d:%i "/proc/$server_pid/exe" 2>&1)" != "$(stat -L -c %d:%i "$WINE_SERVER" 2>&1)" ]; then
        echo "wineserver $server_pid is $(readlink "/proc/$server_pid/exe"), not $WINE_SERVER"
        return 1
    fi
    echo "namespace $WINE_NS, wineserver $server_pid inside it ($(readlink "/proc/$server_pid/exe"))"
}

# wine_runs_arch EXE NAME: whether this Wine can run EXE (which lists its
# tests with --list, the first being NAME); wine exits 0 even when it cannot
# start a 32-bit program, so the output decides
wine_runs_arch() {
    wine_in wine "$1" --list 2>/dev/null | tr -d '\r' | grep -qx "$2"
}
