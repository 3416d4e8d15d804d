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
