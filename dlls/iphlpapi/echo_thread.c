/*
 * Thread records: one for each thread that sends requests, kept in its TLS
 * slot. A record holds a duplicate of the thread's handle, the thread's
 * APC bookkeeping (apc_list.c's struct apc_thread, whose references keep
 * the record: the TLS slot's, the death watch's, each request's), and the
 * thread's synchronous calls in flight (engine.cs).
 *
 * Any thread may die anywhere outside a lock (TerminateThread); what it
 * owned must not stay reachable. So each record's handle has a wait
 * registered with the thread pool (the death watch), whose callback runs
 * once the thread has ended, however it ended: the engine's handler (set
 * by echo_main.c) then reaps the thread's calls, unlinks them from the
 * socket they waited on and hands the socket on (rx_handoff.c), and drops
 * its undelivered APCs; the receive thread is woken, so that a wake the
 * dead thread was about to give is not lost. Nothing polls for deaths.
 * DLL_THREAD_DETACH runs the same handler early for a thread that exits.
 *
 * A thread that sends after its own DLL_THREAD_DETACH (a later DLL's
 * detach, or the exe's TLS callbacks) gets a record of its own per request,
 * outside TLS and not watched (a thread so near its end is not worth a
 * wait of the pool's); so does a thread whose wait cannot be registered.
 * The receive thread's sweep (thread_sweep_dead) looks for such records'
 * threads (apc_sweep picks them: an APC queued and not run, a call in
 * progress, THREAD_SWEEP_MS apart) and runs the same handler for those that
 * ended: for them, and them only, what a death leaves waits for a timer.
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

/* the TLS value of a thread that has detached */
#define TLS_DETACHED ((void *)1)

#define THREAD_SWEEP_MS   1000
#define THREAD_SWEEP_MAX  256     /* records looked at per pass; a full pass looks again soon */

static void (*thread_ended)( struct echo_thread *t );

BOOL thread_start( void (*ended)( struct echo_thread *t ) )
{
    thread_ended = ended;
    if (engine.thread_tls == TLS_OUT_OF_INDEXES && (engine.thread_tls = TlsAlloc()) == TLS_OUT_OF_INDEXES)
        return FALSE;
    return TRUE;
}

/* Frees a record whose last reference went (apc_thread_unref said so). */
void thread_free_record( struct echo_thread *t )
{
    CloseHandle( t->apc.handle );
    HeapFree( GetProcessHeap(), 0, t );
}

void thread_release( struct echo_thread *t )
{
    if (apc_thread_unref( &engine.apc, &t->apc )) thread_free_record( t );
}

void thread_addref( struct echo_thread *t )
{
    apc_thread_ref( &engine.apc, &t->apc );
}

/* The death watch's callback, in a thread of the pool, once the thread ended. */
static void CALLBACK thread_died( void *context, BOOLEAN timed_out )
{
    struct echo_thread *t = context;

    TRACE( "thread record %p: its thread ended\n", t );
    engine_jitter( JITTER_DEATH );
    thread_ended( t );
    engine_wake();   /* (a wake the thread was to give may be lost with it) */
    UnregisterWaitEx( t->wait, NULL );   /* (from its own callback: without waiting) */
    thread_release( t );   /* the watch's reference */
}

static struct echo_thread *thread_new( BOOL tls )
{
    struct echo_thread *t = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*t) );
    HANDLE handle;

    if (!t) return NULL;
    if (!DuplicateHandle( GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &handle,
                          0, FALSE, DUPLICATE_SAME_ACCESS ))
    {
        HeapFree( GetProcessHeap(), 0, t );
        return NULL;
    }
    echo_list_init( &t->calls );
    t->tid = GetCurrentThreadId();
    apc_thread_init( &engine.apc, &t->apc, handle, tls );
    if (!tls) return t;
    thread_addref( t );   /* the watch's */
    t->apc.watched = 1;
    if (!RegisterWaitForSingleObject( &t->wait, handle, thread_died, t, INFINITE,
                                      WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD ))
    {
        WARN( "no death watch for thread %04lx (%lu): its record is swept instead\n", GetCurrentThreadId(),
              GetLastError() );
        t->apc.watched = 0;
        thread_release( t );
    }
    return t;
}

/* Whether the current thread has had our DLL_THREAD_DETACH (it is ending;
 * ws2_32's, which comes after ours, may have run too). */
BOOL thread_detached( void )
{
    return engine.thread_tls != TLS_OUT_OF_INDEXES && TlsGetValue( engine.thread_tls ) == TLS_DETACHED;
}

/* The current thread's record (engine started), with a reference for the
 * caller; NULL without memory. */
struct echo_thread *thread_current( void )
{
    struct echo_thread *t = TlsGetValue( engine.thread_tls );

    if (t == TLS_DETACHED) return thread_new( FALSE );   /* (after its detach: not kept in TLS) */
    if (!t)
    {
        if (!(t = thread_new( TRUE ))) return NULL;
        TlsSetValue( engine.thread_tls, t );
    }
    thread_addref( t );
    return t;
}

/* The current thread's record without a reference, if it has one. */
struct echo_thread *thread_current_if_any( void )
{
    struct echo_thread *t;

    if (engine.thread_tls == TLS_OUT_OF_INDEXES) return NULL;
    t = TlsGetValue( engine.thread_tls );
    return t == TLS_DETACHED ? NULL : t;
}

/* DLL_THREAD_DETACH: the thread is ending; its record's handler runs now
 * (the watch runs it again once the thread is gone: it finds nothing). */
void thread_detach( void )
{
    struct echo_thread *t;

    if (engine.thread_tls == TLS_OUT_OF_INDEXES) return;
    t = TlsGetValue( engine.thread_tls );
    TlsSetValue( engine.thread_tls, TLS_DETACHED );
    if (!t || t == TLS_DETACHED) return;
    thread_ended( t );
}

/* The receive thread: unwatched records whose thread ended. */
void thread_sweep_dead( ULONGLONG now, ULONGLONG *next )
{
    static struct apc_thread *found[THREAD_SWEEP_MAX];   /* (the receive thread's alone) */
    uint64_t due;
    unsigned int i, n = apc_sweep( &engine.apc, now, THREAD_SWEEP_MS, found, THREAD_SWEEP_MAX, &due );
    BOOL ended = FALSE;

    for (i = 0; i < n; i++)
    {
        struct echo_thread *t = CONTAINING_RECORD( found[i], struct echo_thread, apc );

        if (WaitForSingleObject( t->apc.handle, 0 ) == WAIT_OBJECT_0)
        {
            TRACE( "thread record %p: its thread ended, unwatched\n", t );
            thread_ended( t );
            ended = TRUE;
        }
        thread_release( t );
    }
    if (ended) engine_wake();   /* (another pass: what it handed on) */
    *next = min( *next, due );
}
