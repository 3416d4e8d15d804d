/*
 * The echo engine's state: the one struct echo_engine every engine file
 * reads, the clock every deadline and round-trip time comes from, waking
 * the receive thread, and the test hooks. It calls no other engine file.
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

#include <stdlib.h>
#include <string.h>

#include "echo_private.h"

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

/* Whether a CPU is to spare: at least CPU_SPARE_MIN of one idle over the
 * last CPU_SAMPLE_MS (the processors' times; under Wine that reads
 * /proc/stat, no wineserver call). It decides how a synchronous caller
 * waits (echo_request.c): with a CPU to spare, wake-ups dominate and the
 * receive thread receives while the caller spins; without, every thread
 * hand-off costs a context switch and the caller receives itself. */
#define CPU_SAMPLE_MS  200
#define CPU_SPARE_MIN  0.75

static BOOL cpu_times( ULONGLONG *idle, ULONGLONG *total )
{
    SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION *info;
    ULONG size, i;
    SYSTEM_INFO sys;

    if (!engine.cpu_count)
    {
        GetSystemInfo( &sys );
        engine.cpu_count = sys.dwNumberOfProcessors;
    }
    size = engine.cpu_count * sizeof(*info);
    if (!(info = HeapAlloc( GetProcessHeap(), 0, size ))) return FALSE;
    if (NtQuerySystemInformation( SystemProcessorPerformanceInformation, info, size, &size ))
    {
        HeapFree( GetProcessHeap(), 0, info );
        return FALSE;
    }
    *idle = *total = 0;
    for (i = 0; i < size / sizeof(*info); i++)
    {
        *idle += info[i].IdleTime.QuadPart;
        *total += info[i].KernelTime.QuadPart + info[i].UserTime.QuadPart;   /* (kernel time includes idle) */
    }
    HeapFree( GetProcessHeap(), 0, info );
    return TRUE;
}

BOOL engine_cpu_to_spare( ULONGLONG now )
{
    ULONGLONG idle, total;

    if (now < engine.cpu_sample_at || InterlockedCompareExchange( &engine.cpu_sampling, 1, 0 )) return engine.cpu_spare;
    if (cpu_times( &idle, &total ))
    {
        if (engine.cpu_total && total > engine.cpu_total)
            engine.cpu_spare = (double)(idle - engine.cpu_idle) * engine.cpu_count / (double)(total - engine.cpu_total)
                               >= CPU_SPARE_MIN;
        engine.cpu_idle = idle;
        engine.cpu_total = total;
    }
    engine.cpu_sample_at = now + CPU_SAMPLE_MS;
    InterlockedExchange( &engine.cpu_sampling, 0 );
    return engine.cpu_spare;
}

/* Test hooks, off unless ICMP_ECHO_TEST_FAULTS names them (comma-separated;
 * NAME=VALUE for engine_test_value): "recv" makes every receive fail, to
 * test that deadlines still pass; "apc_delay=MS" sleeps between listing a
 * completed APC request and queuing its APC, to widen the window in which
 * its thread may exit (tests/icmp_stress.c). */
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
