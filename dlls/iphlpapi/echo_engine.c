/*
 * Echo engine state and life: the one struct echo_engine, DllMain's hooks,
 * starting the engine (once, with its first socket: the pending table, the
 * wake-up event, the receive thread, pinning the DLL), and the clock every
 * deadline and round-trip time is read from. Sockets, requests, receiving
 * and completion each have their own file (see echo_private.h).
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
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

struct echo_engine engine;

void *engine_realloc( void *ptr, size_t size )
{
    if (!size)
    {
        HeapFree( GetProcessHeap(), 0, ptr );
        return NULL;
    }
    if (!ptr) return HeapAlloc( GetProcessHeap(), 0, size );
    return HeapReAlloc( GetProcessHeap(), 0, ptr, size );
}

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

/* Takes nothing that process_detach could not give back: the TLS slot,
 * sockets and threads come with the engine's start, which pins the DLL. */
BOOL echo_engine_process_attach( HINSTANCE instance )
{
    engine.module = instance;
    InitializeCriticalSection( &engine.cs );
    InitializeCriticalSection( &engine.send_cs );
    InitializeCriticalSection( &engine.apc_cs );
    QueryPerformanceFrequency( &engine.freq );
    timer_heap_init( &engine.timers, engine_realloc );
    engine.wake_at = ~(ULONGLONG)0;
    engine.thread_tls = TLS_OUT_OF_INDEXES;
    list_init( &engine.flow_requests );
    InitializeConditionVariable( &engine.flow_cv );
    return TRUE;
}

/* FreeLibrary of a DLL whose engine never started (a started one is
 * pinned); at process exit (reserved set) nothing needs to be given back. */
void echo_engine_process_detach( void *reserved )
{
    if (reserved || engine.started) return;
    HeapFree( GetProcessHeap(), 0, engine.pending );   /* a start that failed halfway */
    if (engine.wake) CloseHandle( engine.wake );
    if (engine.thread_tls != TLS_OUT_OF_INDEXES) TlsFree( engine.thread_tls );
    timer_heap_destroy( &engine.timers );
    DeleteCriticalSection( &engine.apc_cs );
    DeleteCriticalSection( &engine.send_cs );
    DeleteCriticalSection( &engine.cs );
}

void echo_engine_thread_detach( void )
{
    apc_thread_detach();
}

/* Test hooks, off unless ICMP_ECHO_TEST_FAULTS names them (comma-separated):
 * "recv" makes every receive fail, to test that timers still expire. */
BOOL engine_test_fault( const char *name )
{
    char faults[256], *p;
    size_t len = strlen( name );
    DWORD got = GetEnvironmentVariableA( "ICMP_ECHO_TEST_FAULTS", faults, sizeof(faults) );

    if (!got || got >= sizeof(faults)) return FALSE;
    for (p = faults; (p = strstr( p, name )); p += len)
        if ((p == faults || p[-1] == ',') && (!p[len] || p[len] == ',')) return TRUE;
    return FALSE;
}

/* The first start (retried if it failed): no request exists yet, so
 * nothing else reads these. */
static DWORD start_now( void )
{
    HMODULE pinned;
    HANDLE thread;

    if (!engine.pending &&
        !(engine.pending = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, ECHO_SEQ_SPACE * sizeof(*engine.pending) )))
        return ERROR_NOT_ENOUGH_MEMORY;
    if (!engine.wake && !(engine.wake = CreateEventW( NULL, FALSE, FALSE, NULL ))) return GetLastError();
    if (engine.thread_tls == TLS_OUT_OF_INDEXES && (engine.thread_tls = TlsAlloc()) == TLS_OUT_OF_INDEXES)
        return ERROR_NOT_ENOUGH_MEMORY;
    engine.id = (USHORT)GetCurrentProcessId();
    engine.next_seq = (USHORT)(GetTickCount() ^ (GetCurrentProcessId() << 4));
    engine.fail_receives = engine_test_fault( "recv" );
    flow_init( socket_rcvbuf() );

    /* the receive thread and queued APCs run our code: stay loaded */
    GetModuleHandleExW( GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                        (const WCHAR *)engine.module, &pinned );
    engine.started = TRUE;
    if (!(thread = CreateThread( NULL, 0, receive_thread, NULL, 0, NULL ))) return GetLastError();
    CloseHandle( thread );
    TRACE( "engine started, id %#x\n", engine.id );
    return 0;
}

static BOOL CALLBACK start_once( INIT_ONCE *once, void *param, void **context )
{
    DWORD *err = param;
    return !(*err = start_now());
}

/* Starts the engine unless it runs; called without engine locks (it pins
 * the DLL, which takes the loader lock). A failed start is retried by the
 * next caller. */
DWORD engine_start( void )
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    DWORD err = 0;

    if (InitOnceExecuteOnce( &once, start_once, &err, NULL )) return 0;
    return err ? err : ERROR_NOT_ENOUGH_MEMORY;
}
