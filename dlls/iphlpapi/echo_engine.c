/*
 * The echo engine's state: the one struct echo_engine every engine file
 * reads, the clock every deadline and round-trip time comes from, waking
 * the receive thread, whether a CPU is to spare (its samples; cpu_regime.c
 * decides), and the test hooks. It calls no other engine file.
 *
 * Copyright 2026 the icmp-echo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin St, Fifth Floor, Boston, MA 02110-1301, USA
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

struct echo_engine engine;

ULONGLONG engine_qpc_to_ms( LONGLONG ticks )
{
    return (ULONGLONG)(ticks / engine.freq.QuadPart) * 1000 +
           (ULONGLONG)(ticks % engine.freq.QuadPart) * 1000 / engine.freq.QuadPart;
}

ULONGLONG engine_now_ms( void )
{
    LARGE_INTEGER now;
    QueryPerformanceCounter( &now );
    return engine_qpc_to_ms( now.QuadPart );
}

/* The receive thread looks at everything again (a wineserver call). */
void engine_wake( void )
{
    if (engine.wake) SetEvent( engine.wake );
}

/* ---- whether a CPU is to spare (cpu_regime.h decides) ----
 *
 * The receive thread samples it every REGIME_WINDOW_MS while synchronous
 * callers come (they read it on their way; one that finds the sampling
 * stopped wakes the receive thread, at most once per window): the CPUs the
 * process may use (affinity and cgroup quota, read again every
 * REGIME_LIMITS_MS), their idle time (under Wine that reads /proc/stat: no
 * wineserver call) and what our callers spun. */
#define REGIME_WINDOW_MS   200
#define REGIME_LIMITS_MS   5000
#define REGIME_ACTIVE_MS   1000

static LONGLONG spun_ticks;             /* the callers' spinning since the last sample (interlocked) */
static struct                           /* the receive thread's alone */
{
    ULONGLONG at, idle, limits_at;
    ULONG_PTR mask;
    DWORD cpus;
    uint32_t usable_milli;
} sample;

BOOL engine_cpu_to_spare( ULONGLONG now )
{
    ULONGLONG next = echo_load64( &engine.regime_next );

    if (echo_load64( &engine.sync_seen_at ) + REGIME_WINDOW_MS / 4 < now) echo_store64( &engine.sync_seen_at, now );
    /* (sampling stopped while nobody asked: start it again, once) */
    if (next + REGIME_WINDOW_MS < now &&
        __atomic_compare_exchange_n( &engine.regime_next, &next, now + REGIME_WINDOW_MS, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE ))
        engine_wake();
    return engine_regime_spare();
}

/* The regime as last decided (or as a test forces it). */
BOOL engine_regime_spare( void )
{
    if (engine.regime_forced) return engine.regime_forced == 2;
    return regime_spare( &engine.regime );
}

void engine_spun( BOOL hit, LONGLONG ticks )
{
    regime_spun( &engine.regime, hit );
    __atomic_add_fetch( &spun_ticks, ticks, __ATOMIC_RELAXED );
}

/* A Linux file through Wine's Z: drive, NUL-terminated; FALSE if it
 * cannot be read (not under Wine, or no Z: drive). */
BOOL engine_read_unix_file( const char *path, char *buf, DWORD size )
{
    char dos[MAX_PATH];
    DWORD got = 0, i;
    HANDLE f;

    if (strlen( path ) + 3 > sizeof(dos)) return FALSE;
    strcpy( dos, "Z:" );
    for (i = 0; path[i]; i++) dos[i + 2] = path[i] == '/' ? '\\' : path[i];
    dos[i + 2] = 0;
    f = CreateFileA( dos, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL );
    if (f == INVALID_HANDLE_VALUE) return FALSE;
    ReadFile( f, buf, size - 1, &got, NULL );
    CloseHandle( f );
    buf[got] = 0;
    return got > 0;
}

/* The CPU quota (x1000) of our cgroup and its ancestors, the smallest; 0: none. */
static uint32_t cgroup_quota( void )
{
    static const char *const v1_roots[] = { "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct" };
    char text[2048], path[512], file[768], quota[64], period[64];
    uint32_t best = 0, q;
    unsigned int v1, r;
    char *slash;

    if (!engine_read_unix_file( "/proc/self/cgroup", text, sizeof(text) )) return 0;
    for (v1 = 0; v1 < 2; v1++)
    {
        if (!regime_cgroup_path( text, v1, path, sizeof(path) )) continue;
        for (;;)   /* the path, then each ancestor up to the root */
        {
            for (r = 0; r < (v1 ? 2 : 1); r++)
            {
                q = 0;
                if (!v1)
                {
                    snprintf( file, sizeof(file), "/sys/fs/cgroup%s/cpu.max", strcmp( path, "/" ) ? path : "" );
                    if (engine_read_unix_file( file, quota, sizeof(quota) )) q = regime_quota_v2( quota );
                }
                else
                {
                    snprintf( file, sizeof(file), "%s%s/cpu.cfs_quota_us", v1_roots[r], strcmp( path, "/" ) ? path : "" );
                    if (engine_read_unix_file( file, quota, sizeof(quota) ))
                    {
                        snprintf( file, sizeof(file), "%s%s/cpu.cfs_period_us", v1_roots[r], strcmp( path, "/" ) ? path : "" );
                        if (engine_read_unix_file( file, period, sizeof(period) )) q = regime_quota_v1( quota, period );
                    }
                }
                if (q && (!best || q < best)) best = q;
            }
            if (!strcmp( path, "/" ) || !(slash = strrchr( path, '/' ))) break;
            if (slash == path) slash[1] = 0;
            else *slash = 0;
        }
    }
    return best;
}

/* The usable CPUs: the affinity mask, within the quota. */
static void read_limits( void )
{
    ULONG_PTR process, system;
    SYSTEM_INFO info;
    uint32_t quota, count = 0;
    ULONG_PTR m;

    if (!sample.cpus)
    {
        GetSystemInfo( &info );
        sample.cpus = info.dwNumberOfProcessors;
    }
    if (!GetProcessAffinityMask( GetCurrentProcess(), &process, &system ) || !process) process = ~(ULONG_PTR)0;
    sample.mask = process;
    for (m = process; m; m &= m - 1) count++;
    if (count > sample.cpus) count = sample.cpus;
    sample.usable_milli = count * 1000;
    if ((quota = cgroup_quota()) && quota < sample.usable_milli) sample.usable_milli = quota;
}

/* idle time (100 ns) summed over the CPUs we may use */
static BOOL idle_time( ULONGLONG *idle )
{
    SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION *info;
    ULONG size = sample.cpus * sizeof(*info), i;
    BOOL ok;

    if (!(info = HeapAlloc( GetProcessHeap(), 0, size ))) return FALSE;
    if ((ok = !NtQuerySystemInformation( SystemProcessorPerformanceInformation, info, size, &size )))
    {
        *idle = 0;
        for (i = 0; i < size / sizeof(*info) && i < 8 * sizeof(ULONG_PTR); i++)
            if (sample.mask & ((ULONG_PTR)1 << i)) *idle += info[i].IdleTime.QuadPart;
    }
    HeapFree( GetProcessHeap(), 0, info );
    return ok;
}

/* The receive thread's housekeeping: a sample when one is due. */
void engine_sample_regime( ULONGLONG now, ULONGLONG *next )
{
    ULONGLONG idle, spun;

    if (echo_load64( &engine.sync_seen_at ) + REGIME_ACTIVE_MS < now)
    {
        sample.at = 0;   /* (nobody asks: no samples; the next caller starts them again) */
        return;
    }
    if (now < echo_load64( &engine.regime_next ) && sample.at)
    {
        *next = min( *next, echo_load64( &engine.regime_next ) );
        return;
    }
    if (now >= sample.limits_at)
    {
        read_limits();
        sample.limits_at = now + REGIME_LIMITS_MS;
    }
    spun = (ULONGLONG)__atomic_exchange_n( &spun_ticks, 0, __ATOMIC_ACQ_REL ) * 10000000 / engine.freq.QuadPart;
    if (idle_time( &idle ))
    {
        if (sample.at && now > sample.at)
        {
            regime_sample( &engine.regime, sample.usable_milli, idle - min( idle, sample.idle ), spun,
                           (now - sample.at) * 10000 );
            TRACE( "regime: %u of %u CPUs (x1000) idle or spun, backoff %u, spare %d\n",
                   engine.regime.available_milli, engine.regime.usable_milli, engine.regime.backoff,
                   regime_spare( &engine.regime ) );
        }
        sample.at = now;
        sample.idle = idle;
    }
    echo_store64( &engine.regime_next, now + REGIME_WINDOW_MS );
    *next = min( *next, now + REGIME_WINDOW_MS );
}

/* Test hooks, off unless ICMP_ECHO_TEST_FAULTS names them (comma-separated;
 * NAME=VALUE for engine_test_value), read once when the engine starts:
 *   recv          every receive fails (deadlines must still pass);
 *   apc_delay=MS  a sleep between listing a completed APC request and
 *                 queuing its APC (the window in which its thread may exit);
 *   send_delay=MS a sleep after each send, the socket still held (the
 *                 window in which the request completes and its socket
 *                 could be closed under the sender);
 *   rx_grace=MS   the receive thread takes a socket left alone after MS
 *                 (RX_GRACE_MS): a long one keeps it away (a receive
 *                 thread that runs late);
 *   busy, spare   the regime is forced: no CPU to spare (callers lead),
 *                 or one to spare (they follow and spin);
 *   jitter=SEED   at every hand-off point (enum jitter_point) a random
 *                 pause: nothing, a yield, Sleep(0) or a sleep of 1-3 ms,
 *                 drawn from SEED and a counter (tests/icmp_stress.c runs
 *                 the stress suite with several seeds). */
static const char *find_fault( const char *name, char *faults, DWORD size )
{
    size_t len = strlen( name );
    DWORD got = GetEnvironmentVariableA( "ICMP_ECHO_TEST_FAULTS", faults, size );
    char *p;

    if (!got || got >= size) return NULL;
    for (p = faults; (p = strstr( p, name )); p += len)
        if ((p == faults || p[-1] == ',') && (!p[len] || p[len] == ',' || p[len] == '=')) return p + len;
    return NULL;
}

BOOL engine_test_fault( const char *name )
{
    char faults[256];
    return find_fault( name, faults, sizeof(faults) ) != NULL;
}

DWORD engine_test_value( const char *name, DWORD def )
{
    char faults[256];
    const char *p = find_fault( name, faults, sizeof(faults) );

    return p && *p == '=' ? strtoul( p + 1, NULL, 10 ) : def;
}

/* A pause at a hand-off point, with jitter=SEED (else nothing). */
void engine_jitter( enum jitter_point point )
{
    uint32_t x;

    if (point == JITTER_APC && engine.apc_delay_ms) Sleep( engine.apc_delay_ms );
    if (point == JITTER_SENT && engine.send_delay_ms) Sleep( engine.send_delay_ms );
    if (!engine.jitter_seed) return;
    x = engine.jitter_seed ^ (uint32_t)InterlockedIncrement( &engine.jitter_count ) * 0x9e3779b9u ^ (uint32_t)point << 24;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    switch (x % 16)
    {
    case 8: case 9: case 10: case 11: SwitchToThread(); break;
    case 12: case 13: Sleep( 0 ); break;
    case 14: Sleep( 1 ); break;
    case 15: Sleep( 1 + (x >> 8) % 3 ); break;
    default: break;
    }
}
