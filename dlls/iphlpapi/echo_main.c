/*
 * The echo engine's entry points: starting it (once, with the first
 * request: the table of requests in flight, the receive thread's event,
 * the TLS slot of APC threads, the flow budget, pinning the DLL and the
 * receive thread), what icmp_api.c calls (echo_engine.h), and DllMain's
 * hooks. Taking nothing at DLL_PROCESS_ATTACH that DLL_PROCESS_DETACH could
 * not give back, a DLL loaded and freed again and again leaks nothing; a
 * started engine pins the DLL (its thread and queued APCs run our code).
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

#include "echo_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

BOOL echo_engine_process_attach( HINSTANCE instance )
{
    engine.module = instance;
    InitializeCriticalSection( &engine.cs );
    QueryPerformanceFrequency( &engine.freq );
    engine.thread_tls = TLS_OUT_OF_INDEXES;
    echo_list_init( &engine.sockets );
    echo_list_init( &engine.deliver );
    echo_list_init( &engine.deferred );
    apc_registry_init( &engine.apc );
    regime_init( &engine.regime );
    return TRUE;
}

/* FreeLibrary of a DLL whose engine never started (a started one is
 * pinned); at process exit (reserved set) only the flow budget's slot is
 * given back, the prefix's other processes sharing it. */
void echo_engine_process_detach( void *reserved )
{
    if (reserved)
    {
        flow_stop( TRUE );
        return;
    }
    if (engine.started) return;
    if (engine.pending_slots)   /* a start that failed halfway */
    {
        pending_destroy( &engine.pending );
        HeapFree( GetProcessHeap(), 0, engine.pending_slots );
    }
    if (engine.wake) CloseHandle( engine.wake );
    if (engine.rx_event) CloseHandle( engine.rx_event );
    if (engine.loop_started) CloseHandle( engine.loop_started );
    if (engine.thread_tls != TLS_OUT_OF_INDEXES) TlsFree( engine.thread_tls );
    flow_stop( FALSE );
    apc_registry_destroy( &engine.apc );
    DeleteCriticalSection( &engine.cs );
}

void echo_engine_thread_detach( void )
{
    thread_detach();
}

/* A thread ended (its detach, or its death watch): what it owned is reaped. */
static void thread_ended( struct echo_thread *t )
{
    request_thread_gone( t );
    apc_thread_ended( t );
}

/* The first start (retried by the next request if it failed): no request
 * exists yet, so nothing else reads what it sets. */
static DWORD start_now( void )
{
    HMODULE pinned;

    if (!engine.pending_slots)
    {
        if (!(engine.pending_slots = HeapAlloc( GetProcessHeap(), 0, PENDING_SEQ_SPACE * sizeof(*engine.pending_slots) )))
            return ERROR_NOT_ENOUGH_MEMORY;
        pending_init( &engine.pending, engine.pending_slots, (USHORT)(GetTickCount() ^ (GetCurrentProcessId() << 4)) );
    }
    /* (two events: posting a receive resets its event, which must never
     * erase a wake another thread gave) */
    if (!engine.wake && !(engine.wake = CreateEventW( NULL, FALSE, FALSE, NULL ))) return GetLastError();
    if (!engine.rx_event && !(engine.rx_event = CreateEventW( NULL, FALSE, FALSE, NULL ))) return GetLastError();
    if (!engine.loop_started && !(engine.loop_started = CreateEventW( NULL, TRUE, FALSE, NULL ))) return GetLastError();
    if (!thread_start( thread_ended )) return ERROR_NOT_ENOUGH_MEMORY;
    engine.id = (USHORT)GetCurrentProcessId();
    engine.fail_receives = engine_test_fault( "recv" );
    engine.apc_delay_ms = engine_test_value( "apc_delay", 0 );
    engine.send_delay_ms = engine_test_value( "send_delay", 0 );
    engine.rx_grace_ms = engine_test_value( "rx_grace", RX_GRACE_MS );
    engine.jitter_seed = engine_test_value( "jitter", 0 );
    engine.regime_forced = engine_test_fault( "busy" ) ? 1 : engine_test_fault( "spare" ) ? 2 : 0;
    if (engine.jitter_seed) TRACE( "test hook: jitter, seed %lu\n", engine.jitter_seed );
    if (!engine.flow.self) flow_start();

    /* the receive thread and queued APCs run our code: stay loaded */
    if (!GetModuleHandleExW( GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                             (const WCHAR *)engine.module, &pinned ))
        return GetLastError();
    engine.started = TRUE;
    if (!(engine.loop_thread = CreateThread( NULL, 0, loop_thread, NULL, 0, NULL ))) return GetLastError();
    TRACE( "engine started, id %#x\n", engine.id );
    return 0;
}

static BOOL CALLBACK start_once( INIT_ONCE *once, void *param, void **context )
{
    DWORD *err = param;
    return !(*err = start_now());
}

/* Under Wine, a process that exits while one of its threads is still
 * starting (created, but its Unix half still introducing itself to
 * wineserver) can die of SIGSEGV, or say "wine client error: sendmsg:
 * Socket operation on non-socket": measured on Wine 8 beside two CPU-bound
 * processes and a disk writer, a 32-bit program that creates a thread and
 * returns from main at once, 2 runs of 300; `ping -n 1 127.0.0.1` through
 * ours, 4 of 400 (its one reply lost with the output it had not flushed,
 * in two). The first call starts threads: the receive thread, and the
 * thread pool's first worker and a wait thread (the caller's death watch,
 * echo_thread.c). So until those were seen running, a call returns only
 * once they run (a thread's first instruction is past that window): the
 * receive thread sets an event first thing; the pool runs a work item, and
 * a wait on a signalled event in its wait thread. A wait on an event never
 * signalled stays registered for the process's life (the keeper): the pool
 * lets a wait thread, and its last worker, go after 5 s without waits
 * (Wine 8), and later death watches would start them again, unwaited;
 * with the keeper they join the threads seen running. (A work item queued
 * while the pool's workers are busy with the caller's own items can make
 * the pool add a worker that is still starting when ours runs: not
 * waited for.)
 *
 * These are waits on threads' start, never on the network, and bounded:
 * past START_WAIT_MS the call goes on as before (the first echo made from
 * a wait thread's own callback would otherwise wait for itself, as would a
 * caller holding a lock that another DLL's DLL_THREAD_ATTACH needs). They
 * are made outside the start's INIT_ONCE, by the callers that come before
 * the first of them is done (waited or gave up), and not by a caller that
 * holds the loader lock (a DllMain): a starting thread needs it. */
#define START_WAIT_MS 1000

static void CALLBACK pool_work_ran( TP_CALLBACK_INSTANCE *instance, void *context )
{
    SetEvent( context );
}

static void CALLBACK pool_wait_ran( void *context, BOOLEAN timed_out )
{
    SetEvent( context );
}

static BOOL under_loader_lock( void )
{
    RTL_CRITICAL_SECTION *loader = NtCurrentTeb()->Peb->LoaderLock;

    return loader && HandleToULong( loader->OwningThread ) == GetCurrentThreadId();
}

/* TRUE once the receive thread and the pool's threads ran (a handle whose
 * callback did not come in time is left open: the callback may still come) */
static BOOL threads_run( void )
{
    static LONG keeper_made;   /* (one for the process, however many callers come first) */
    HANDLE loop[2] = { engine.loop_started, engine.loop_thread }, ran, set, wait, never, keeper;
    BOOL seen = FALSE;

    if (WaitForMultipleObjects( 2, loop, FALSE, START_WAIT_MS ) == WAIT_TIMEOUT) return FALSE;
    if (!InterlockedExchange( &keeper_made, 1 ) && (never = CreateEventW( NULL, TRUE, FALSE, NULL )) &&
        !RegisterWaitForSingleObject( &keeper, never, pool_wait_ran, NULL, INFINITE, WT_EXECUTEINWAITTHREAD ))
        CloseHandle( never );
    if (!(ran = CreateEventW( NULL, FALSE, FALSE, NULL ))) return FALSE;
    if (!TrySubmitThreadpoolCallback( pool_work_ran, ran, NULL )) goto done;
    if (WaitForSingleObject( ran, START_WAIT_MS )) return FALSE;
    if (!(set = CreateEventW( NULL, TRUE, TRUE, NULL ))) goto done;
    if (RegisterWaitForSingleObject( &wait, set, pool_wait_ran, ran, INFINITE,
                                     WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD ))
    {
        if (WaitForSingleObject( ran, START_WAIT_MS ))
        {
            UnregisterWaitEx( wait, NULL );
            return FALSE;
        }
        UnregisterWaitEx( wait, INVALID_HANDLE_VALUE );
        seen = TRUE;
    }
    CloseHandle( set );
done:
    CloseHandle( ran );
    return seen;
}

/* Called without engine locks (pinning takes the loader lock). */
static DWORD engine_start( void )
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    DWORD err = 0;

    if (!InitOnceExecuteOnce( &once, start_once, &err, NULL )) return err ? err : ERROR_NOT_ENOUGH_MEMORY;
    if (ReadAcquire( &engine.threads_awaited ) || under_loader_lock()) return 0;
    if (!threads_run()) WARN( "the first call's threads were not seen running within %u ms\n", START_WAIT_MS );
    WriteRelease( &engine.threads_awaited, 1 );
    return 0;
}

DWORD echo_engine_open( const SOCKADDR_INET *src, int family, struct echo_socket **sock )
{
    DWORD err = engine_start();
    return err ? err : socket_acquire( src, family, sock );
}

void echo_engine_close( struct echo_socket *sock )
{
    socket_release( sock );
}

DWORD echo_engine_submit( struct echo_socket *sock, const struct echo_params *p, struct echo_outcome *out )
{
    return request_submit( sock, p, out );
}
